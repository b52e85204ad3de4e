"""The Practice tab: the self-assessment with one's own results and their trend, the
practices and journal, small asks and the weekly check-in."""

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from practice import services
from practice.words import WORDS
from rhythms.words import DAYS
from web.boot import app_context

# The trend chart of one's own results: x by result, y by mean (1 at the bottom, 5 at the top).
TREND_WIDTH, TREND_HEIGHT = 300, 120


def _trend(results: list[dict]) -> dict | None:
    if len(results) < 2:
        return None
    oldest_first = list(reversed(results))
    step = (TREND_WIDTH - 20) / (len(oldest_first) - 1)

    def points(key):
        return " ".join(
            f"{10 + i * step:.1f},{TREND_HEIGHT - 10 - (r[key] - 1) / 4 * (TREND_HEIGHT - 20):.1f}"
            for i, r in enumerate(oldest_first)
        )

    return {"dependence": points("dependence"), "independence": points("independence")}


def _means(result: dict, key: str) -> str:
    return WORDS[key] % {
        "dependence": f"{result['dependence']:.1f}",
        "independence": f"{result['independence']:.1f}",
    }


def about_partner(result: dict, name: str) -> str:
    """A shared result as its reader sees it: about the one who shared it, with both means."""
    lean = WORDS[f"pattern_partner_{result['pattern']}"] % {"name": name}
    return f"{lean} {_means(result, 'means_partner')}"


def _journal_line(entry: dict) -> str:
    if entry["kind"] == "alone_time":
        return _("Time alone, %(minutes)d min") % {"minutes": entry["minutes"]}
    after = entry["intensity_after"]
    line = (
        _("Sat with a worry: %(before)d, then %(after)d")
        % {"before": entry["intensity_before"], "after": after}
        if after is not None
        else _("Sat with a worry: %(before)d") % {"before": entry["intensity_before"]}
    )
    if not entry["trigger"]:
        return line
    return f"{line} · {_('“%(text)s”') % {'text': entry['trigger']}}"


@login_required
@never_cache
def practice_page(request):
    """The personal side: the self-assessment, one's own results and their trend, the
    practices and their journal; with a partner, their share, small asks and check-ins."""
    me = request.user
    page = services.assessment_page(user=me)
    for result in page["history"]:
        result["words"] = WORDS[f"pattern_{result['pattern']}"]
        result["lean"] = WORDS[f"pattern_name_{result['pattern']}"]
        result["means"] = _means(result, "means_mine")
        result["partner_sees"] = about_partner(result, me.display_name)
    practices = services.practices_page(user=me)
    context = app_context(
        request,
        "practice",
        assessment=page,
        scale=list(services.SCALE),
        trend=_trend(page["history"]),
        trend_size={"width": TREND_WIDTH, "height": TREND_HEIGHT},
        practices=practices,
        journal=[
            {"at": datetime.fromisoformat(e["at"]), "text": _journal_line(e)}
            for e in practices["journal"][:10]
        ],
        # The steps of sharing something vulnerable, for a lean towards managing alone.
        steps=practices["steps"] if practices["pattern"] == "hyper_independent" else None,
        tender_prompt=WORDS["tender_prompt"],
        # The words a result is shown in where it was taken (practice.js), without a reload.
        result_words={
            "patterns": {
                p: {"words": str(WORDS[f"pattern_{p}"]), "lean": str(WORDS[f"pattern_name_{p}"])}
                for p in ("hyper_independent", "over_dependent", "interdependent", "mixed")
            },
            "means": str(WORDS["means_mine"]),
        },
        days=DAYS,
    )
    couple = context["couple"]
    if couple is not None:  # the couple's side of Practice: the partner's share, asks, check-ins
        partner = next((p for p in couple.partners() if p.pk != me.pk), None)
        shared = services.assessments_shared(couple=couple).get(partner.pk) if partner else None
        context |= {
            "partner": partner,
            "partner_shared": about_partner(shared, partner.display_name) if shared else None,
            "checkin": services.checkins_of(user=me, week=services.week_of(services.today_of(me))),
            "checkin_block": couple.blocks.filter(key="checkin").first(),
            "asks": [
                {
                    **ask,
                    "mine": ask["by"] == me.pk,
                    "answer_words": WORDS[f"ask_{ask['answer']}"] if ask["answer"] else "",
                }
                for ask in services.asks_recent(user=me)[:10]
            ],
        }
    return render(request, "web/practice.html", context)
