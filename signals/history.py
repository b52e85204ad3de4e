"""The couple's history: a timeline by seq and summaries of a week or month, computed
by the database (indexes `event_kind_period`, `span_period`), never by a Python loop
over every row. And the archive an ex-partner keeps: their own events, nothing else."""

import bisect
import statistics
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Count, DurationField, ExpressionWrapper, Min, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from couples.models import EVENT_KINDS, Couple, Event, User
from couples.services import NotPaired, ServiceError
from rhythms.models import Preview
from signals.models import Answer, Flag, SignalSpan, State
from signals.words import WORDS

PAGE = 50
KINDS = set(EVENT_KINDS)


def history_scope(*, user: User) -> tuple[Couple, bool]:
    """The couple whose history this person may read, and whether it is only their own
    part of it: their active couple (everything), or after an unpair the last couple
    they were in (read-only, their own events only)."""
    couple = user.active_couple()
    if couple is not None:
        return couple, False
    last = user.memberships.select_related("couple").order_by("-joined_at", "-pk").first()
    if last is None:
        raise NotPaired()
    return last.couple, True


def _local_day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def timeline(*, user: User, kinds=None, partner=None, start=None, end=None, cursor=None) -> dict:
    """Newest first, `PAGE` at a time. `cursor` is the seq to continue below, so a page
    never shifts while new events arrive."""
    couple, own_only = history_scope(user=user)
    tz = ZoneInfo(couple.timezone)
    events = Event.objects.filter(couple=couple)
    if own_only:
        events = events.filter(actor=user)
    if kinds:
        unknown = set(kinds) - KINDS
        if unknown:
            raise ValidationError(
                {"kind": [str(WORDS["unknown_kind"]).format(kinds=", ".join(sorted(unknown)))]}
            )
        events = events.filter(kind__in=kinds)
    if partner is not None:
        if not couple.memberships.filter(user_id=partner).exists():
            raise ServiceError("not_in_couple", WORDS["not_in_couple"], 404)
        events = events.filter(actor_id=partner)
    if start is not None:
        events = events.filter(at__gte=_local_day_start(start, tz))
    if end is not None:
        events = events.filter(at__lt=_local_day_start(end + timedelta(days=1), tz))
    if cursor is not None:
        events = events.filter(seq__lt=cursor)
    page = list(events.order_by("-seq")[: PAGE + 1])
    more = len(page) > PAGE
    page = page[:PAGE]
    return {
        "results": [e.as_body() for e in page],
        "next_cursor": page[-1].seq if more else None,
        "archive": own_only,
    }


def period_bounds(period: str, day: date, tz: ZoneInfo) -> tuple[datetime, datetime, datetime]:
    """(previous start, start, end) in UTC for the local week (Monday first) or month holding `day`."""
    if period == "week":
        first = day - timedelta(days=day.weekday())
        following = first + timedelta(days=7)
        previous = first - timedelta(days=7)
    elif period == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        previous = (first - timedelta(days=1)).replace(day=1)
    else:
        raise ValidationError({"period": [WORDS["bad_period"]]})
    return _local_day_start(previous, tz), _local_day_start(first, tz), _local_day_start(following, tz)


def _spans_overlapping(couple: Couple, start: datetime, until: datetime):
    """Light spans on at any moment in [start, until): begun before its end, and still
    on or ended after its start (indexes span_period and span_open_or_ending)."""
    return SignalSpan.objects.filter(couple=couple, started_at__lt=until).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start)
    )


def _time_in_state(couple: Couple, start: datetime, end: datetime, now: datetime) -> dict:
    """Seconds each light was on, per person, inside [start, end): a red held for a
    minute weighs a minute. One query: SUM(LEAST(end, span end) - GREATEST(start, span start))."""
    until = min(end, now)
    if until <= start:
        return {}
    spans = _spans_overlapping(couple, start, until)
    overlap = ExpressionWrapper(
        Least(Coalesce("ended_at", Value(until)), Value(until)) - Greatest("started_at", Value(start)),
        output_field=DurationField(),
    )
    rows = spans.values("user_id", "state").annotate(on=Sum(overlap))
    return {(r["user_id"], r["state"]): r["on"].total_seconds() for r in rows if r["on"]}


def summary(*, user: User, period: str, day: date | None = None, now: datetime | None = None) -> dict:
    couple, own_only = history_scope(user=user)
    tz = ZoneInfo(couple.timezone)
    now = now or timezone.now()
    day = day or now.astimezone(tz).date()
    previous, start, end = period_bounds(period, day, tz)
    people = [p for p in couple.partners() if not own_only or p.pk == user.pk]
    ids = [p.pk for p in people]

    sets = _lights_turned_on(couple, ids, start, end)
    before = _lights_turned_on(couple, ids, previous, start)
    reds_before = {user_id: n for (user_id, state), n in before.items() if state == State.RED}
    on = _time_in_state(couple, start, end, now)
    previews = {
        r["user_id"]: r
        for r in Preview.objects.filter(
            couple=couple, user_id__in=ids, created_at__gte=start, created_at__lt=end
        )
        .values("user_id")
        .annotate(posted=Count("pk"), reunions=Count("pk", filter=Q(ended_by="reunion")))
    }
    flags = dict(
        Flag.objects.filter(couple=couple, user_id__in=ids, raised_at__gte=start, raised_at__lt=end)
        .values_list("user_id")
        .annotate(n=Count("pk"))
    )
    reminders = (
        0
        if own_only
        else Event.objects.filter(couple=couple, kind="reminder.fired", at__gte=start, at__lt=end).count()
    )
    partners = []
    for person in people:
        reds = sets.get((person.pk, State.RED), 0)
        partners.append(
            {
                "id": person.pk,
                "display_name": person.display_name,
                "lights_set": {s: sets.get((person.pk, s), 0) for s in State.values},
                "seconds_on": {s: on.get((person.pk, s), 0.0) for s in State.values},
                "reds": reds,
                "reds_previous_period": reds_before.get(person.pk, 0),
                "previews_posted": previews.get(person.pk, {}).get("posted", 0),
                "previews_ended_in_reunion": previews.get(person.pk, {}).get("reunions", 0),
                "flags_raised": flags.get(person.pk, 0),
            }
        )
    return {
        "period": period,
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "local_start": start.astimezone(tz).date().isoformat(),
        "local_end": (end.astimezone(tz).date() - timedelta(days=1)).isoformat(),
        "timezone": couple.timezone,
        "partners": partners,
        "reminders_fired": reminders,
        "reds_answered": None if own_only else _reds_answered(couple, start, end),
        "archive": own_only,
    }


def _lights_turned_on(couple: Couple, ids: list[int], start: datetime, end: datetime) -> Counter:
    """How often each person turned each light on in [start, end): a note added to a light
    already on is not another one."""
    changes = Event.objects.filter(
        couple=couple, kind="signal.changed", actor_id__in=ids, at__gte=start, at__lt=end
    ).values_list("actor_id", "data__state", "data__previous")
    return Counter((actor, state) for actor, state, previous in changes if state != previous)


def _reds_answered(couple: Couple, start: datetime, end: datetime) -> dict:
    """How often a red that came on in [start, end) was answered, and how fast (the
    median minutes to its first answer): about the two of them, never one's score."""
    reds = Event.objects.filter(
        couple=couple, kind="signal.changed", at__gte=start, at__lt=end, data__red_on=True
    ).count()
    firsts = (
        Answer.objects.filter(couple=couple, light_state=State.RED, light_at__gte=start, light_at__lt=end)
        .values("light_seq", "light_at")
        .annotate(first=Min("at"))
    )
    waits = [(f["first"] - f["light_at"]).total_seconds() / 60 for f in firsts]
    return {
        "reds": reds,
        "answered": len(waits),
        "median_minutes_to_answer": round(statistics.median(waits), 1) if waits else None,
    }


def weekly_counts(*, couple: Couple, weeks: int, now: datetime) -> list[dict]:
    """Lights turned on per state per local week for the last `weeks` weeks (one query;
    a note added to a light already on is not another)."""
    tz = ZoneInfo(couple.timezone)
    today = now.astimezone(tz).date()
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    starts = [first + timedelta(weeks=i) for i in range(weeks + 1)]
    bounds = [_local_day_start(d, tz) for d in starts]
    changes = Event.objects.filter(
        couple=couple, kind="signal.changed", at__gte=bounds[0], at__lt=bounds[-1]
    ).values_list("at", "data__state", "data__previous")
    totals = Counter(
        (bisect.bisect_right(bounds, at) - 1, state) for at, state, previous in changes if state != previous
    )
    return [
        {"week_of": starts[i].isoformat(), **{state: totals[i, state] for state in State.values}}
        for i in range(weeks)
    ]


def week_strip(*, couple: Couple, day: date, now: datetime, only: User | None = None) -> dict:
    """Each partner's lights across one local week, as (state, start, end) in UTC;
    with `only`, that person's alone (an ex-partner's archive)."""
    tz = ZoneInfo(couple.timezone)
    _, start, end = period_bounds("week", day, tz)
    until = min(end, now)
    spans = _spans_overlapping(couple, start, until)
    if only is not None:
        spans = spans.filter(user=only)
    spans = spans.order_by("started_at").values("user_id", "state", "started_at", "ended_at")
    strips: dict[int, list] = {}
    for span in spans:
        strips.setdefault(span["user_id"], []).append(
            (span["state"], max(span["started_at"], start), min(span["ended_at"] or until, until))
        )
    return {"start": start, "end": end, "strips": strips}
