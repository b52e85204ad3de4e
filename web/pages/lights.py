"""The Lights page (the app's first screen), and the welcome page before log-in."""

from django.shortcuts import redirect, render
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache

from signals.models import State
from signals.words import WORDS
from web.boot import app_context


@never_cache
def home(request):
    if not request.user.is_authenticated:
        return _welcome(request)
    # The mark on my light that is on (CSS shows it from the attribute, in my language).
    context = app_context(request, "home", on_word=pgettext("a light that is on now", "on"))
    if context["couple"] is None:  # the pairing page is the first screen of one alone
        return redirect("pair")
    return render(request, "web/home.html", context)


def _welcome(request):
    """The first visit: what Porchlight is and what the three lights mean."""
    lights = [
        {"state": state, "name": WORDS[f"light_{state}"], "meaning": WORDS[f"meaning_{state}"]}
        for state in State.values
    ]
    return render(request, "web/welcome.html", {"lights": lights, "page": "welcome"})
