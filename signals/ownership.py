"""Data each person owns: an export of their own data, and the retention purge."""

import csv
import io
import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q

from couples.models import Couple, Event, User
from practice.services import asks_purge, practice_export
from rhythms.models import Block, Preview
from signals.models import Answer, SignalSpan

log = logging.getLogger(__name__)

PURGE_BATCH = 500
PURGE_PAUSE = timedelta(hours=1)


def export_data(*, user: User) -> dict:
    """Their account, their lights and notes, their answers to the partner's lights,
    their previews, the rhythm they share now and the blocks they made before. Nothing the partner wrote: after an unpair that holds nothing of the ex's."""
    lights = Event.objects.filter(actor=user, kind="signal.changed").order_by("at")
    couple = user.active_couple()
    return {
        "account": {
            "username": user.username,
            "display_name": user.display_name,
            "timezone": user.timezone,
            "joined": user.date_joined.isoformat(),
        },
        "lights": [
            {"at": e.at.isoformat(), "state": e.data["state"], "note": e.data.get("note", "")} for e in lights
        ],
        "answers": [
            {"at": e.at.isoformat(), "reply": e.data["reply"], "note": e.data.get("note", "")}
            for e in Event.objects.filter(actor=user, kind="signal.answered").order_by("at")
        ],
        **practice_export(user=user),
        "previews": [
            {
                "created_at": p.created_at.isoformat(),
                "message": p.message,
                "expected_at": p.expected_at.isoformat() if p.expected_at else None,
                "unreachable_until": p.unreachable_until.isoformat() if p.unreachable_until else None,
                "ended_by": p.ended_by or None,
            }
            for p in Preview.objects.filter(user=user).order_by("created_at")
        ],
        # The current couple's rhythm (shared), and the blocks this person made in earlier ones.
        "rhythm": [
            b.as_dict() for b in Block.objects.filter(Q(couple=couple) | Q(created_by=user)).order_by("pk")
        ],
    }


def export_csv(data: dict) -> str:
    """The same data as one CSV table: a row per thing, with what kind of thing it is."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["type", "at", "state_or_kind", "text", "until", "detail"])
    account = data["account"]
    writer.writerow(["account", account["joined"], "", account["display_name"], "", account["timezone"]])
    for light in data["lights"]:
        writer.writerow(["light", light["at"], light["state"], _cell(light["note"]), "", ""])
    for answer in data["answers"]:
        writer.writerow(["answer", answer["at"], answer["reply"], _cell(answer["note"]), "", ""])
    for a in data["assessments"]:
        means = f"dependence {a['dependence']}, independence {a['independence']}"
        writer.writerow(
            ["assessment", a["at"], a["pattern"], means, "", "shared" if a["shared"] else "private"]
        )
    for e in data["journal"]:
        detail = (
            f"{e['minutes']} min"
            if e["kind"] == "alone_time"
            else f"{e['intensity_before']} -> {e['intensity_after']}"
        )
        writer.writerow(["journal", e["at"], e["kind"], _cell(e["note"]), _cell(e["trigger"]), detail])
    for item in data["self_care"]:
        writer.writerow(["self_care", "", "", _cell(item), "", ""])
    for c in data["checkins"]:
        writer.writerow(["checkin", c["at"], c["week"], _cell(c["appreciation"]), "", _cell(c["need"])])
    for ask in data["asks"]:
        writer.writerow(["ask", ask["at"], ask["answer"] or "open", _cell(ask["text"]), "", ""])
    for answer in data["ask_answers"]:
        writer.writerow(["ask_answer", answer["at"], answer["answer"], _cell(answer["note"]), "", ""])
    for preview in data["previews"]:
        writer.writerow(
            [
                "preview",
                preview["created_at"],
                preview["ended_by"] or "",
                _cell(preview["message"]),
                preview["expected_at"] or "",
                preview["unreachable_until"] or "",
            ]
        )
    for block in data["rhythm"]:
        days = " ".join(str(d) for d in block["days"])
        writer.writerow(
            ["rhythm", "", block["kind"], _cell(block["name"]), f"{block['start']}+{block['minutes']}m", days]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def history_purge_next(now: datetime) -> bool:
    """Remove one batch of events (and light spans) older than a couple's retention.
    Small batches in short transactions: no long locks on a busy table."""
    couple = (
        Couple.objects.filter(retention_months__isnull=False)
        .filter(Q(purged_at__isnull=True) | Q(purged_at__lt=now - PURGE_PAUSE))
        .order_by(F("purged_at").asc(nulls_first=True))
        .first()
    )
    if couple is None:
        return False
    cutoff = now - timedelta(days=30 * couple.retention_months)
    with transaction.atomic():
        old = list(
            Event.objects.filter(couple=couple, at__lt=cutoff).values_list("pk", flat=True)[:PURGE_BATCH]
        )
        Event.objects.filter(pk__in=old).delete()
        Answer.objects.filter(couple=couple, at__lt=cutoff).delete()
        asks_purge(couple=couple, cutoff=cutoff)
        spans = list(
            SignalSpan.objects.filter(couple=couple, ended_at__lt=cutoff).values_list("pk", flat=True)[
                :PURGE_BATCH
            ]
        )
        SignalSpan.objects.filter(pk__in=spans).delete()
        if len(old) < PURGE_BATCH and len(spans) < PURGE_BATCH:
            Couple.objects.filter(pk=couple.pk).update(purged_at=now)
    if old:
        log.info("retention: removed %s events of couple %s", len(old), couple.pk)
    return True
