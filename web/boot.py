"""What every page of the app starts from: the person, the couple's snapshot and the
words its scripts need (the live store takes it from there, web/static/web/store.js)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from rhythms.services import muted_blocks
from rhythms.words import DAYS, PRESETS
from signals import services
from signals.models import Reply, State
from signals.words import WORDS


def boot(user) -> dict:
    """What the app starts from; everything later comes over the socket. `at` is when
    this snapshot was true (offline, a page says "last known" with it); `muted`, my own
    mutes, keeps my muted blocks' reminders off my banners."""
    couple = user.active_couple()
    all_muted, muted = muted_blocks(user=user, couple=couple) if couple else (False, set())
    return {
        "me": {"id": user.pk, "display_name": user.display_name, "timezone": user.timezone},
        "couple": services.couple_snapshot(user=user),
        "at": timezone.now().isoformat(),
        "muted": {"all": all_muted, "blocks": sorted(muted)},
        "presets": [{"key": k, "message": str(v)} for k, v in PRESETS.items()],
        "meanings": {state: str(WORDS[f"meaning_{state}"]) for state in State.values},
        # A flag's words in the reader's language (an event carries its raiser's).
        "flag_words": {"message": str(WORDS["flag_message"]), "suggestion": str(WORDS["flag_suggestion"])},
        "replies": [
            {"key": key, "button": str(WORDS[f"reply_button_{key}"]), "words": str(WORDS[f"reply_{key}"])}
            for key in Reply.values
        ],
    }


def paired_page(template: str, page: str):
    @login_required
    @never_cache
    def view(request):
        couple = request.user.active_couple()
        if couple is None:
            return redirect("pair")
        context = {"boot": boot(request.user), "page": page, "couple": couple, "days": DAYS}
        return render(request, template, context)

    return view
