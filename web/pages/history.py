"""How the lights went: this week's strip, the last weeks' counts, the timeline in
the reader's language."""

from datetime import date
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache

from couples import services as couples_services
from couples.models import Event
from rhythms.words import DAYS, block_name, preview_words
from signals import history as history_module
from signals.models import State
from signals.words import WORDS, said
from web.boot import app_context


def _quoted(text: str) -> str:
    return _("“%(text)s”") % {"text": text}


def _with_note(text: str, note: str | None) -> str:
    return f"{text} · {_quoted(note)}" if note else text


RHYTHM_ACTIONS = {
    "created": gettext_lazy("%(who)s added “%(block)s”"),
    "updated": gettext_lazy("%(who)s changed “%(block)s”"),
    "deleted": gettext_lazy("%(who)s removed “%(block)s”"),
}


# A day on a chart's axis, short ("Nov. 23", "11月23日"): a Django date format, per language.
AXIS_DAY = pgettext_lazy("a day on a chart's axis, as a Django date format", "N j")


def _day(day: date) -> str:
    """A day as the reader says it ("December 7", "12月7日"): never a code like 2026-W50."""
    return date_format(day, "MONTH_DAY_FORMAT")


def _event_sentence(event: Event, names: dict) -> str:
    """One line of the history page, in the reader's language (names and notes as written)."""
    who = names.get(event.actor_id, "")
    data = event.data
    match event.kind:
        case "signal.changed":
            return _with_note(said(who, WORDS["light_" + data["state"]]), data.get("note"))
        case "signal.answered":
            return _with_note(said(who, WORDS["reply_" + data["reply"]]), data.get("note"))
        case "preview.posted":
            return _("%(who)s posted a preview: “%(message)s”") % {
                "who": who,
                "message": preview_words(data["preview"]),
            }
        case "preview.cleared":
            return _("%(who)s cleared their preview") % {"who": who}
        case "reunion":
            return _("%(who)s is back") % {"who": who}
        case "preview.due":
            return _("Time to reconnect, %(who)s") % {"who": names.get(data["user"], "")}
        case "rhythm.changed":
            sentence = RHYTHM_ACTIONS.get(data["action"], RHYTHM_ACTIONS["updated"])
            return sentence % {"who": who, "block": block_name(data["block"])}
        case "reminder.fired":
            if data["reminder"] == "start":
                return _("%(block)s starts now") % {"block": block_name(data["block"])}
            return _("%(block)s starts soon") % {"block": block_name(data["block"])}
        case "flag.raised":
            return _("A gentle flag: time for a calm talk?")
        case "flag.dismissed":
            return _("%(who)s put the flag away") % {"who": who}
        case "settings.changed":
            changed = ", ".join(str(WORDS.get(f"setting_{name}", name)) for name in data["changed"])
            return _("%(who)s changed settings: %(changed)s") % {"who": who, "changed": changed}
        case "partner.joined":
            return _("%(who)s joined") % {"who": who}
        case "assessment.shared":
            shared = data.get("assessment")
            if shared is None:
                return _("%(who)s took back a self-assessment") % {"who": who}
            pattern = WORDS.get(f"pattern_name_{shared['pattern']}", shared["pattern"])
            return _("%(who)s shared a self-assessment: %(pattern)s") % {"who": who, "pattern": pattern}
        case "ask.made":
            return _("%(who)s asked: “%(ask)s”") % {"who": who, "ask": data["ask"]["text"]}
        case "ask.answered":
            return _with_note(said(who, WORDS["ask_" + data["answer"]]), data.get("note"))
        case "checkin.revealed":
            monday = date.fromisocalendar(int(data["week"][:4]), int(data["week"][6:]), 1)
            return _("Check-in of the week of %(day)s: you have both written") % {"day": _day(monday)}
        case "agreement.made":
            return _("%(who)s said “We agree”") % {"who": who}
        case _:
            return event.kind


STRIP_WIDTH, WEEKS = 700, 12


def _week_strip_rows(couple, names: dict, day, now, only=None) -> dict:
    """Geometry of each partner's lights across the week, for the SVG strip."""
    strip = history_module.week_strip(couple=couple, day=day, now=now, only=only)
    start, length = strip["start"], (strip["end"] - strip["start"]).total_seconds()
    rows = []
    for index, (user_id, spans) in enumerate(sorted(strip["strips"].items())):
        segments = [
            {
                "state": state,
                "label": WORDS[f"light_{state}"],
                "x": round((begin - start).total_seconds() / length * STRIP_WIDTH, 1),
                "width": max(round((end - begin).total_seconds() / length * STRIP_WIDTH, 1), 0.5),
            }
            for state, begin, end in spans
        ]
        rows.append({"name": names.get(user_id, ""), "y": 34 + index * 70, "segments": segments})
    days = [{"x": round(i * STRIP_WIDTH / 7, 1), "label": DAYS[i]} for i in range(7)]
    return {"rows": rows, "days": days, "height": 40 + 70 * max(len(rows), 1)}


def _weekly_bars(couple, now) -> dict:
    weeks = history_module.weekly_counts(couple=couple, weeks=WEEKS, now=now)
    top = max([max(w[s] for s in State.values) for w in weeks] + [1])
    group = STRIP_WIDTH / WEEKS
    bars = []
    for i, week in enumerate(weeks):
        for j, state in enumerate(State.values):
            height = round(week[state] / top * 200, 1)
            bars.append(
                {
                    "state": state,
                    "label": WORDS[f"light_{state}"],
                    "count": week[state],
                    "week_of": _day(date.fromisoformat(week["week_of"])),
                    "x": round(i * group + 6 + j * (group - 12) / 3, 1),
                    "width": round((group - 12) / 3 - 2, 1),
                    "y": round(140 - height, 1),
                    "height": height,
                }
            )
    return {
        "bars": bars,
        "weeks": [{**w, "week_of": _day(date.fromisoformat(w["week_of"]))} for w in weeks],
        "labels": [
            # Anchored at their start, inside the chart: centred, the first one was cut off.
            {"x": round(i * group + 2, 1), "text": date_format(date.fromisoformat(w["week_of"]), AXIS_DAY)}
            for i, w in enumerate(weeks)
            if i % 3 == 0  # room for a date in words, in either language
        ],
    }


def _hours(seconds: float) -> str:
    hours, minutes = divmod(round(seconds / 60), 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@login_required
@never_cache
def history(request):
    """How the lights went: this week's strip, the last weeks' counts, the timeline."""
    try:
        couple, own_only = history_module.history_scope(user=request.user)
    except couples_services.NotPaired:  # never paired: nothing of lights yet
        lead = _("Your history starts once you have paired: your lights, your partner's, and your rhythm.")
        return render(request, "web/waiting.html", app_context(request, "history", lead=lead))
    names = {p.pk: p.display_name for p in couple.partners()}
    now = timezone.now()
    today = now.astimezone(ZoneInfo(couple.timezone)).date()
    week = history_module.summary(user=request.user, period="week", day=today, now=now)
    week["local_start"] = _day(date.fromisoformat(week["local_start"]))
    week["local_end"] = _day(date.fromisoformat(week["local_end"]))
    for person in week["partners"]:
        person["time_on"] = {state: _hours(seconds) for state, seconds in person["seconds_on"].items()}
    before = request.GET.get("before", "")
    page = history_module.timeline(user=request.user, cursor=int(before) if before.isdigit() else None)
    by_seq = {
        e.seq: e for e in Event.objects.filter(couple=couple, seq__in=[r["seq"] for r in page["results"]])
    }
    rows = [
        {"at": by_seq[r["seq"]].at, "kind": r["kind"], "text": _event_sentence(by_seq[r["seq"]], names)}
        for r in page["results"]
    ]
    context = app_context(
        request,
        "history",
        rows=rows,
        older=page["next_cursor"],
        paged=before.isdigit(),
        archive=own_only,
        week=week,
        strip=_week_strip_rows(couple, names, today, now, only=request.user if own_only else None),
        bars=_weekly_bars(couple, now) if not own_only else None,
        width=STRIP_WIDTH,
    )
    return render(request, "web/history.html", context)
