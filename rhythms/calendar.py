"""A person's private calendar feed of the couple's rhythm (RFC 5545, built with
`icalendar`): one weekly recurring VEVENT per block, in the couple's timezone with its
VTIMEZONE, the block's reminders as VALARMs. The feed's URL holds a secret kept only
as its digest; it stops working when revoked, re-made, when the person is no longer
in that couple, or has a new password. Notes and previews never go into it: a block's name, kind and times only.
"""

import functools
import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from couples.models import Couple, User
from couples.services import NotPaired, secret_digest
from rhythms.models import Block, CalendarFeed
from rhythms.services import muted_blocks
from rhythms.words import WORDS, block_name

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]  # RRULE's BYDAY, Monday=0 as Block.days
YEARS_OF_ZONE_RULES = 10  # the VTIMEZONE's transitions, from the earliest block on


def calendar_feed_create(*, user: User) -> str:
    """A new feed for this person's couple; the secret that goes into its URL. A person has
    one feed: making a new one revokes the old URL."""
    couple = user.active_couple()
    if couple is None:
        raise NotPaired()
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarFeed.objects.filter(user=user).delete()
        CalendarFeed.objects.create(
            user=user, couple=couple, digest=secret_digest(secret), auth_hash=user.get_session_auth_hash()
        )
    return secret


def calendar_feed_revoke(*, user: User) -> None:
    CalendarFeed.objects.filter(user=user).delete()


def calendar_feed_find(secret: str) -> CalendarFeed | None:
    """The live feed of this secret."""
    return _live(
        CalendarFeed.objects.select_related("user", "couple").filter(digest=secret_digest(secret)).first()
    )


def calendar_feed_of(user: User) -> CalendarFeed | None:
    """This person's live feed, if they have one."""
    return _live(CalendarFeed.objects.select_related("user", "couple").filter(user=user).first())


def _live(feed: CalendarFeed | None) -> CalendarFeed | None:
    """A feed whose person is no longer in its couple (unpaired, or paired anew), or has
    a new password since it was made, is gone: deleted here, so that its URL answers 404
    from the moment of the unpairing or the new password."""
    if feed is None:
        return None
    couple = feed.user.active_couple() if feed.user.is_active else None
    password_kept = constant_time_compare(feed.auth_hash, feed.user.get_session_auth_hash())
    if couple is None or couple.pk != feed.couple_id or not password_kept:
        feed.delete()
        return None
    return feed


def calendar_ics(*, user: User, couple: Couple) -> bytes:
    """The couple's rhythm as this person sees it: their own mutes mark blocks whose
    reminders they turned off (no VALARM, and said so in the description)."""
    tz = ZoneInfo(couple.timezone)
    all_muted, muted = muted_blocks(user=user, couple=couple)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Porchlight//Rhythm//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", str(WORDS["calendar_name"]))
    cal.add("x-wr-timezone", couple.timezone)
    blocks = [b for b in Block.objects.filter(couple=couple, enabled=True).order_by("pk") if b.days]
    for block in blocks:
        cal.add_component(_vevent(block, tz, muted=all_muted or block.pk in muted))
    if blocks:
        first = min(_first_start(block, tz) for block in blocks).date()
        cal.add_component(_vtimezone(couple.timezone, first.year))
    return cal.to_ical()


def _vevent(block: Block, tz: ZoneInfo, *, muted: bool) -> icalendar.Event:
    event = icalendar.Event()
    # Stable per block, so that a phone updates the event in place when the block changes.
    event.add("uid", f"block-{block.pk}@porchlight")
    event.add("dtstamp", block.updated_at)
    event.add("last-modified", block.updated_at)
    event.add("summary", block_name(block.as_dict()))
    event.add("categories", [str(WORDS[f"calendar_{block.kind}"])])
    event.add("dtstart", _first_start(block, tz))
    event.add("duration", timedelta(minutes=block.minutes))
    event.add("rrule", {"freq": "weekly", "byday": [DAYS[day] for day in sorted(block.days)], "wkst": "MO"})
    event.add("transp", "OPAQUE" if block.kind == Block.Kind.CONNECTION else "TRANSPARENT")
    if muted:
        event.add("description", str(WORDS["calendar_muted"]))
        event.add("x-porchlight-muted", "TRUE")
        return event
    offsets = [timedelta(0)]
    if block.remind_before:
        offsets.append(timedelta(minutes=-block.remind_before))
    for offset in offsets:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", block_name(block.as_dict()))
        alarm.add("trigger", offset)
        event.add_component(alarm)
    return event


def _first_start(block: Block, tz: ZoneInfo) -> datetime:
    """DTSTART: the block's first day on or after the local day it was last changed,
    at its local start (the RRULE's first instance, as RFC 5545 wants)."""
    day = block.updated_at.astimezone(tz).date()
    while day.weekday() not in block.days:
        day += timedelta(days=1)
    return datetime.combine(day, block.start, tzinfo=tz)


@functools.lru_cache(maxsize=64)
def _vtimezone(tzid: str, first_year: int) -> icalendar.Timezone:
    """The zone's rules from the earliest block for YEARS_OF_ZONE_RULES years ahead of
    today; made once per process and zone (the transitions take a while to compute)."""
    last = date(timezone.now().year + YEARS_OF_ZONE_RULES, 1, 1)
    return icalendar.Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=last)
