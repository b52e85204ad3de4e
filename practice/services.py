"""The personal side of the method: a private self-assessment of one's pattern
(hyper-independent, over-dependent, interdependent), shared with the partner only when
the person says so; the practices and their private journal; small asks of the partner;
weekly check-ins that each partner reads once both have written."""

import re
from datetime import date
from statistics import fmean
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from couples.models import Event, User
from couples.services import (
    NotPaired,
    ServiceError,
    couple_active_locked,
    couple_lock,
    event_append,
    event_for_op,
)
from couples.validators import NOTE_MAX, choice_with_note_clean, clean_short_text
from practice.models import ASK_MAX, Ask, Assessment, CheckIn, JournalEntry, PracticeStep, SelfCare
from practice.words import WORDS
from rhythms.services import previews_live

# Ten items, five a dimension, each answered 1 ("very uncomfortable") to 5 ("very
# comfortable"). The ids are the public contract; the words may change.
ITEMS = [
    ("need_help", "dependence", _("Needing help from my partner")),
    ("lean_when_low", "dependence", _("Relying on my partner's support when I'm low")),
    ("show_vulnerable", "dependence", _("Letting my partner see my vulnerable, imperfect side")),
    ("accept_practical_help", "dependence", _("Accepting my partner's help with money or practical matters")),
    ("partner_does_for_me", "dependence", _("My partner wanting to do something for me")),
    ("apart_a_while", "independence", _("Being apart for a while (work trips, travelling alone)")),
    ("decide_alone", "independence", _("Making personal decisions without consulting my partner")),
    ("own_friends", "independence", _("Having my own friends and interests")),
    ("weekend_alone", "independence", _("A weekend alone when my partner can't be with me")),
    ("inner_space", "independence", _("Keeping some inner space not fully open to my partner")),
]
SCALE = range(1, 6)


def assessment_items() -> list[dict]:
    return [{"id": key, "dimension": dimension, "text": str(text)} for key, dimension, text in ITEMS]


def pattern_of(dependence: float, independence: float) -> str:
    """A lean, not a diagnosis: the band the two means fall in."""
    if dependence <= 2 and independence >= 4:
        return "hyper_independent"
    if dependence >= 4 and independence <= 2:
        return "over_dependent"
    if dependence >= 3 and independence >= 3:
        return "interdependent"
    return "mixed"


def assessment_take(*, user: User, answers) -> Assessment:
    """A new private result from all ten answers."""
    if not isinstance(answers, dict):
        raise ValidationError({"answers": [WORDS["assessment_answers"]]})
    known = {key for key, _, _ in ITEMS}
    errors = {}
    for key in sorted(known - set(answers)):
        errors[key] = [WORDS["assessment_missing"]]
    for key in sorted(set(answers) - known):
        errors[key] = [WORDS["assessment_unknown"]]
    for key in sorted(known & set(answers)):
        value = answers[key]
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            errors[key] = [WORDS["assessment_scale"]]
    if errors:
        raise ValidationError(errors)
    means = {
        dimension: round(fmean(answers[key] for key, d, _ in ITEMS if d == dimension), 2)
        for dimension in ("dependence", "independence")
    }
    return Assessment.objects.create(
        user=user,
        answers={key: answers[key] for key, _, _ in ITEMS},
        pattern=pattern_of(means["dependence"], means["independence"]),
        **means,
    )


def assessment_of(*, user: User, assessment_id: int) -> Assessment:
    """One of the person's own results; anyone else's is not found."""
    assessment = Assessment.objects.filter(user=user, pk=assessment_id).first()
    if assessment is None:
        raise ServiceError("assessment_unknown", WORDS["assessment_not_found"], 404)
    return assessment


def assessment_share(*, user: User, assessment_id: int, shared: bool) -> Assessment:
    """Show one result to the partner, or take it back. Sharing tells the partner with an
    `assessment.shared` event; taking it back sends one with `assessment: null` and blanks
    the earlier events of that result, so nothing of it stays in the partner's view. A
    share belongs to the couple it was made in: shown to nobody once that couple ends."""
    with transaction.atomic():
        assessment = assessment_of(user=user, assessment_id=assessment_id)
        couple = user.active_couple()
        if shared and couple is None:
            raise NotPaired()
        if assessment.shared == shared and (not shared or assessment.shared_couple_id == couple.pk):
            return assessment
        assessment.shared = shared
        assessment.shared_couple = couple if shared else None
        assessment.save(update_fields=["shared", "shared_couple"])
        if not shared:
            earlier = Event.objects.filter(kind="assessment.shared", actor=user, data__id=assessment.pk)
            earlier.update(data={"user": user.pk, "id": assessment.pk, "assessment": None})
        if couple is not None:
            couple = couple_lock(couple.pk)
            data = {
                "user": user.pk,
                "id": assessment.pk,
                "assessment": assessment.shared_dict() if shared else None,
            }
            event_append(couple=couple, kind="assessment.shared", actor=user, data=data)
    return assessment


def assessment_page(*, user: User) -> dict:
    """The person's own results; `shared` says whether the current partner sees one (a
    share made with an earlier partner is shown to nobody)."""
    couple = user.active_couple()
    results = list(Assessment.objects.filter(user=user).order_by("-at", "-pk"))
    for result in results:
        result.shared = result.shared and couple is not None and result.shared_couple_id == couple.pk
    return {
        "items": assessment_items(),
        "latest": results[0].as_dict() if results else None,
        "history": [r.as_dict() for r in results],
    }


def assessments_shared(*, couple) -> dict:
    """Each partner's latest result shared in this couple (pattern and means only), for
    the couple snapshot: an unshared result never leaves this function."""
    latest = {}
    for assessment in Assessment.objects.filter(shared_couple=couple, shared=True).order_by("at", "pk"):
        latest[assessment.user_id] = assessment.shared_dict()
    return latest


# Small asks (couple)

ASK_ANSWERS = ("yes", "not_now")


def ask_make(*, user: User, text, op_id: str | None = None) -> tuple[Event, bool]:
    """Ask the partner for something small. One open ask per person at a time."""
    try:
        text = clean_short_text(text, max_length=ASK_MAX)
    except ValidationError as e:
        raise ValidationError({"text": e.messages}) from None
    if not text:
        raise ValidationError({"text": [WORDS["ask_empty"]]})
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        earlier = event_for_op(user=user, op_id=op_id, kind="ask.made")
        if earlier is not None:
            return earlier, False
        if Ask.objects.filter(couple=couple, by=user, answered_at__isnull=True).exists():
            raise ServiceError("ask_open", WORDS["ask_open"], 409)
        ask = Ask.objects.create(couple=couple, by=user, text=text)
        event = event_append(
            couple=couple, kind="ask.made", actor=user, data={"ask": ask.as_dict()}, op_id=op_id
        )
    return event, True


def ask_answer(*, user: User, ask_id: int, answer, note="") -> Event:
    """The partner answers yes or not now (with a note if they like)."""
    note = choice_with_note_clean(
        field="answer", value=answer, choices=ASK_ANSWERS, message=WORDS["ask_answer"], note=note
    )
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        ask = Ask.objects.filter(couple=couple, pk=ask_id).first()
        if ask is None:
            raise ServiceError("ask_unknown", WORDS["ask_unknown"], 404)
        if ask.by_id == user.pk:
            raise ServiceError("own_ask", WORDS["own_ask"])
        if ask.answered_at is not None:
            raise ServiceError("ask_answered", WORDS["ask_answered"], 409)
        ask.answer, ask.note, ask.answered_at = answer, note, timezone.now()
        ask.save(update_fields=["answer", "note", "answered_at"])
        data = {"ask": ask.pk, "to": ask.by_id, "answer": answer, "note": note}
        return event_append(couple=couple, kind="ask.answered", actor=user, data=data, at=ask.answered_at)


def asks_recent(*, user: User) -> list[dict]:
    couple = user.active_couple()
    if couple is None:
        raise NotPaired()
    return [a.as_dict() for a in Ask.objects.filter(couple=couple).order_by("-at", "-pk")[:20]]


# Practices and their journal (private)

# Each practice builds one capacity: being alone (for an over-dependent lean) or safe
# dependence (for a hyper-independent one). Anyone may pick any.
PRACTICES = [
    ("alone_timer", "alone", _("Time alone"), _("A daily 10 to 15 minutes on your own, timed, then logged.")),
    (
        "sit_with_it",
        "alone",
        _("Sit with it"),
        _(
            "When worry comes, note how strong it is (0 to 10) and what set it off; after five minutes, note it again."
        ),
    ),
    (
        "self_care",
        "alone",
        _("Self-care list"),
        _("Up to ten things that steady you, for when you need them."),
    ),
    (
        "small_ask",
        "dependence",
        _("A small ask"),
        _("Ask your partner for something small; a not now is fine."),
    ),
    (
        "share_vulnerable",
        "dependence",
        _("Share something tender"),
        _("One low-risk vulnerable thing, sent as a note with a yellow light, or kept for yourself."),
    ),
]
FIRST = {"over_dependent": "alone", "hyper_independent": "dependence"}
JOURNAL_KINDS = ("alone_time", "anxiety")


def _whole(value, low: int, high: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high


def journal_write(
    *, user: User, kind, minutes=None, intensity_before=None, intensity_after=None, trigger="", note=""
):
    errors = {}
    if kind not in JOURNAL_KINDS:
        errors["kind"] = [WORDS["journal_kind"]]
    if kind == "alone_time" and not _whole(minutes, 1, 240):
        errors["minutes"] = [WORDS["journal_minutes"]]
    if kind == "anxiety" and not _whole(intensity_before, 0, 10):
        errors["intensity_before"] = [WORDS["journal_intensity"]]
    if intensity_after is not None and not _whole(intensity_after, 0, 10):
        errors["intensity_after"] = [WORDS["journal_intensity"]]
    if minutes is not None and not _whole(minutes, 1, 240):
        errors["minutes"] = [WORDS["journal_minutes"]]
    texts = {}
    for field, value, length in (("trigger", trigger, ASK_MAX), ("note", note, NOTE_MAX)):
        try:
            texts[field] = clean_short_text(value, max_length=length)
        except ValidationError as e:
            errors[field] = e.messages
    if errors:
        raise ValidationError(errors)
    couple = user.active_couple()
    partner_preview = couple is not None and any(uid != user.pk for uid in previews_live(couple=couple))
    return JournalEntry.objects.create(
        user=user,
        kind=kind,
        minutes=minutes,
        intensity_before=intensity_before,
        intensity_after=intensity_after,
        partner_preview=partner_preview,
        **texts,
    )


SELF_CARE_MAX, SELF_CARE_ITEM = 10, 80


def self_care_set(*, user: User, items) -> list[str]:
    """Replace the person's self-care list (up to ten things, each up to 80 characters)."""
    if not isinstance(items, list) or len(items) > SELF_CARE_MAX:
        raise ValidationError({"items": [WORDS["self_care_items"]]})
    cleaned = []
    for item in items:
        try:
            text = clean_short_text(item, max_length=SELF_CARE_ITEM)
        except ValidationError as e:
            raise ValidationError({"items": e.messages}) from None
        if text:
            cleaned.append(text)
    SelfCare.objects.update_or_create(user=user, defaults={"items": cleaned})
    return cleaned


def self_care_of(user: User) -> list[str]:
    own = SelfCare.objects.filter(user=user).first()
    return own.items if own else []


# Small weekly steps of sharing something vulnerable, for a lean towards managing alone:
# each is marked done, privately, for the week.
STEPS = [
    ("say_low", _("Say “I'm not in a good mood” once, with a yellow light or in words.")),
    ("say_why", _("Then give the reason, in a sentence or two.")),
    ("let_show", _("Then let it show: stay near your partner while you feel it, without fixing it first.")),
]


def step_mark(*, user: User, step: str, done: bool) -> dict:
    """Mark one of this week's steps done (or not), in the person's own week."""
    if step not in {key for key, _text in STEPS}:
        raise ServiceError("step_unknown", WORDS["step_unknown"], 404)
    week = week_of(today_of(user))
    if done:
        PracticeStep.objects.get_or_create(user=user, step=step, week=week)
    else:
        PracticeStep.objects.filter(user=user, step=step, week=week).delete()
    return {"key": step, "done": done, "week": week}


def steps_of(user: User) -> list[dict]:
    done = set(
        PracticeStep.objects.filter(user=user, week=week_of(today_of(user))).values_list("step", flat=True)
    )
    return [{"key": key, "text": str(text), "done": key in done} for key, text in STEPS]


def practices_page(*, user: User) -> dict:
    """Suggestions from the latest lean, the person's own journal and its summary, and
    this week's small steps."""
    latest = Assessment.objects.filter(user=user).order_by("-at", "-pk").first()
    pattern = latest.pattern if latest else None
    first = FIRST.get(pattern)
    ordered = sorted(PRACTICES, key=lambda p: p[1] != first) if first else PRACTICES
    entries = list(JournalEntry.objects.filter(user=user).order_by("-at", "-pk"))
    anxiety = [e for e in entries if e.kind == "anxiety"]
    alone = [e for e in entries if e.kind == "alone_time"]
    afters = [e.intensity_after for e in anxiety if e.intensity_after is not None]
    return {
        "pattern": pattern,
        "suggestions": [
            {"key": key, "capacity": capacity, "title": str(title), "how": str(how)}
            for key, capacity, title, how in ordered
        ],
        "journal": [e.as_dict() for e in entries[:50]],
        "self_care": self_care_of(user),
        "steps": steps_of(user),
        "summary": {
            "alone_time": {"sessions": len(alone), "minutes": sum(e.minutes or 0 for e in alone)},
            "anxiety": {
                "moments": len(anxiety),
                "with_partner_preview": sum(e.partner_preview for e in anxiety),
                "without_partner_preview": sum(not e.partner_preview for e in anxiety),
                "mean_before": round(fmean(e.intensity_before for e in anxiety), 1) if anxiety else None,
                "mean_after": round(fmean(afters), 1) if afters else None,
            },
        },
    }


# The weekly check-in (couple)

WEEK = re.compile(r"^(2\d{3})-W(\d{2})$")


def week_clean(week, *, today: date) -> str:
    """An ISO week ("2026-W49") up to the current one."""
    match = WEEK.match(week) if isinstance(week, str) else None
    if match is None:
        raise ValidationError({"week": [WORDS["checkin_week"]]})
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        monday = None
    if monday is None or monday > today:
        # Written right, but no such week (a 53rd in a 52-week year), or not yet.
        raise ServiceError("checkin_week", WORDS["checkin_week"], 404)
    return week


def week_of(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def today_of(user: User) -> date:
    return timezone.now().astimezone(ZoneInfo(user.timezone)).date()


def checkin_write(*, user: User, week, appreciation, need) -> CheckIn:
    """Write this week's appreciation and need. When the partner has written theirs
    too, both are revealed: a `checkin.revealed` event (the week only; the words are read
    with checkins_of)."""
    errors = {}
    texts = {}
    for field, value in (("appreciation", appreciation), ("need", need)):
        try:
            texts[field] = clean_short_text(value, max_length=NOTE_MAX)
        except ValidationError as e:
            errors[field] = e.messages
            continue
        if not texts[field]:
            errors[field] = [WORDS["checkin_empty"]]
    try:
        week = week_clean(week, today=today_of(user))
    except ValidationError as e:
        errors.update(e.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        couple = couple_active_locked(user=user)
        if CheckIn.objects.filter(couple=couple, user=user, week=week).exists():
            raise ServiceError("checkin_written", WORDS["checkin_written"], 409)
        checkin = CheckIn.objects.create(couple=couple, user=user, week=week, **texts)
        if CheckIn.objects.filter(couple=couple, week=week).count() == 2:
            event_append(couple=couple, kind="checkin.revealed", actor=None, data={"week": week})
    return checkin


def checkins_of(*, user: User, week) -> dict:
    """My check-in of that week, and the partner's: only that it was written, until mine
    is written too."""
    week = week_clean(week, today=today_of(user))
    couple = user.active_couple()
    if couple is None:
        raise NotPaired()
    written = {c.user_id: c for c in CheckIn.objects.filter(couple=couple, week=week)}
    mine = written.pop(user.pk, None)
    theirs = next(iter(written.values()), None)
    partner = {"written": theirs is not None}
    if mine is not None and theirs is not None:
        partner.update(theirs.as_dict())
    return {"week": week, "mine": mine.as_dict() if mine else None, "partner": partner}


def practice_export(*, user: User) -> dict:
    """What the person wrote in their practice, for the export of their own data
    (signals.ownership): their results with their answers, journal, self-care list,
    check-ins, asks, and their answers to the partner's asks."""
    return {
        "assessments": [
            {**a.as_dict(), "answers": a.answers} for a in Assessment.objects.filter(user=user).order_by("at")
        ],
        "journal": [e.as_dict() for e in JournalEntry.objects.filter(user=user).order_by("at")],
        "self_care": [item for care in SelfCare.objects.filter(user=user) for item in care.items],
        "checkins": [
            {"week": c.week, "appreciation": c.appreciation, "need": c.need, "at": c.at.isoformat()}
            for c in CheckIn.objects.filter(user=user).order_by("at")
        ],
        "asks": [
            {"at": a.at.isoformat(), "text": a.text, "answer": a.answer or None}
            for a in Ask.objects.filter(by=user).order_by("at")
        ],
        "ask_answers": [
            {"at": e.at.isoformat(), "answer": e.data["answer"], "note": e.data.get("note", "")}
            for e in Event.objects.filter(actor=user, kind="ask.answered").order_by("at")
        ],
    }


def asks_purge(*, couple, cutoff) -> None:
    """The retention purge's part: answered asks made before `cutoff`."""
    Ask.objects.filter(couple=couple, at__lt=cutoff, answered_at__isnull=False).delete()
