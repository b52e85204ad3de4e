"""The Practice tab: the self-assessment with one's own results and their trend, the
practices and journal, small asks and the weekly check-in."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
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


@login_required
@never_cache
def practice_page(request):
    """The personal side: the self-assessment, one's own results and their trend."""
    page = services.assessment_page(user=request.user)
    for result in page["history"]:
        result["words"] = WORDS[f"pattern_{result['pattern']}"]
        result["name"] = result["pattern"].replace("_", "-")
    context = app_context(
        request,
        "practice",
        assessment=page,
        scale=list(services.SCALE),
        trend=_trend(page["history"]),
        trend_size={"width": TREND_WIDTH, "height": TREND_HEIGHT},
        practices=services.practices_page(user=request.user),
        tender_prompt=WORDS["tender_prompt"],
        days=DAYS,
    )
    couple = context["couple"]
    if couple is not None:  # the couple's side of Practice: the partner's share, asks, check-ins
        partner = next((p for p in couple.partners() if p.pk != request.user.pk), None)
        shared = services.assessments_shared(user_ids=[partner.pk]).get(partner.pk) if partner else None
        context |= {
            "partner": partner,
            "partner_shared": shared,
            "partner_words": WORDS[f"pattern_{shared['pattern']}"] if shared else None,
            "checkin": services.checkins_of(
                user=request.user, week=services.week_of(services.today_of(request.user))
            ),
            "checkin_block": couple.blocks.filter(key="checkin").first(),
            "asks": [
                {
                    **ask,
                    "mine": ask["by"] == request.user.pk,
                    "answer_words": WORDS[f"ask_{ask['answer']}"] if ask["answer"] else "",
                }
                for ask in services.asks_recent(user=request.user)[:10]
            ],
        }
    return render(request, "web/practice.html", context)
