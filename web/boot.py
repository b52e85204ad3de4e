"""What every page of the app starts from: the person, the couple's snapshot and the
words its scripts need (the live store takes it from there, web/static/web/store.js)."""

from django.contrib.auth.decorators import login_required
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from rhythms.services import muted_blocks
from rhythms.words import DAYS, PRESETS
from signals import services
from signals.models import Reply, State
from signals.words import WORDS


def boot(user, couple=None) -> dict:
    """What the app starts from; everything later comes over the socket. `at` is when
    this snapshot was true (offline, a page says "last known" with it); `muted`, my own
    mutes, keeps my muted blocks' reminders off my banners. Without a partner `couple`
    is null, and the page has no live connection: the personal pages work alone."""
    all_muted, muted = muted_blocks(user=user, couple=couple) if couple else (False, set())
    return {
        "me": {"id": user.pk, "display_name": user.display_name, "timezone": user.timezone},
        "couple": services.couple_snapshot(user=user) if couple else None,
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


def app_context(request, page: str, **extra) -> dict:
    """What a page of the signed-in app renders with: the tabs (Lights while paired,
    Pair before), the couple or None, and the boot of the live store."""
    couple = request.user.active_couple()
    get_token(request)  # the pages' scripts send the CSRF cookie back: make sure it is there
    return {"boot": boot(request.user, couple), "page": page, "couple": couple, "nav": True, **extra}


def app_page(template: str, page: str, *, couple_only: bool):
    """A page of the app. A couple's page (Lights, Rhythm) waits for a partner and says
    how to pair; a personal one (Settings) works alone."""

    @login_required
    @never_cache
    def view(request):
        context = app_context(request, page, days=DAYS)
        if couple_only and context["couple"] is None:
            return render(request, "web/waiting.html", context)
        return render(request, template, context)

    return view
