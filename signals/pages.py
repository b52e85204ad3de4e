"""The phone app's pages: server-rendered shells that the ES modules in
static/signals/ bring to life. Sign-up, log-in and pairing work without JavaScript."""

import functools
import hashlib
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from django import forms
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.i18n import JavaScriptCatalog

from couples import mail
from couples import services as couples_services
from couples.bell import bell_ok
from couples.language import language_asked
from couples.mail import email_verify, login_link_tokens
from couples.middleware import forget_this_browser
from couples.models import Event, OutgoingMail, User
from couples.throttles import LoginGuard, address_wait, password_reset_wait
from couples.validators import validate_timezone
from rhythms.words import DAYS, PRESETS
from signals import history as history_module
from signals import services
from signals.models import Reply, State
from signals.words import WORDS

STATIC = Path(__file__).resolve().parent / "static" / "signals"


class RegisterForm(UserCreationForm):
    display_name = forms.CharField(max_length=60, label=gettext_lazy("Your name, as your partner sees it"))
    timezone = forms.CharField(
        max_length=64, initial="UTC", validators=[validate_timezone], label=gettext_lazy("Time zone")
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "display_name", "timezone"]


class JoinForm(forms.Form):
    code = forms.CharField(max_length=32, label=gettext_lazy("Your partner's code"))


def throttled(request, seconds: int) -> HttpResponse:
    """A kind 429 page for the sign-up and log-in forms: when to try again."""
    minutes = max(1, -(-seconds // 60))
    response = render(request, "signals/throttled.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(seconds)
    return response


@require_http_methods(["GET", "POST"])
def register(request):
    if request.method == "POST" and (wait := address_wait(request)) is not None:
        return throttled(request, wait)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.instance.language = language_asked()
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("pair")
    return render(request, "signals/register.html", {"form": form})


class LoginPage(auth_views.LoginView):
    """Django's log-in form, held to the API's limits (couples.throttles)."""

    template_name = "signals/login.html"
    extra_context = {"page": "login"}

    def post(self, request, *args, **kwargs):
        self.guard = LoginGuard(request, request.POST.get("username"))
        wait = address_wait(request)
        if wait is None:
            wait = self.guard.wait()
        if wait is not None:
            return throttled(request, wait)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        self.guard.failed()
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        self.guard.succeeded(response)
        return response


def _base_url(request) -> str:
    return request.build_absolute_uri("/")[:-1]


class PasswordResetPage(auth_views.PasswordResetView):
    """Django's reset form, its mail queued (couples.mail): a link to each account whose
    verified address this is. The next page says the same whether there was one or not."""

    template_name = "signals/password_reset.html"
    success_url = reverse_lazy("password-reset-sent")
    kind = OutgoingMail.Kind.RESET

    def post(self, request, *args, **kwargs):
        wait = password_reset_wait(request)
        if wait is not None:
            return throttled(request, wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        mail.link_request(kind=self.kind, email=form.cleaned_data["email"], base_url=_base_url(self.request))
        return redirect(self.success_url)


class LoginLinkRequestPage(PasswordResetPage):
    """Ask for a one-time log-in link: the owner's way in while strangers' guesses hold
    the account locked."""

    template_name = "signals/login_link.html"
    success_url = reverse_lazy("login-link-sent")
    kind = OutgoingMail.Kind.LOGIN_LINK


def _way_in(request, user, response):
    """The owner got in by a mailed link: what strangers' guesses locked is lifted, and
    this place is known from now on."""
    guard = LoginGuard(request, user.username)
    guard.lift()
    guard.succeeded(response)
    return response


class PasswordResetConfirmPage(auth_views.PasswordResetConfirmView):
    """Django's set-a-new-password page; the new password ends every other login and
    socket of the person, as a changed one does, and lifts a lock on logging in."""

    template_name = "signals/password_reset_confirm.html"
    success_url = reverse_lazy("password-reset-done")

    def form_valid(self, form):
        response = super().form_valid(form)
        couples_services.user_password_changed(user=form.user)
        return _way_in(self.request, form.user, response)


@require_http_methods(["GET", "POST"])
def login_link(request, uidb64: str, token: str):
    """A mailed one-time log-in link. GET only asks (mail scanners fetch links); the
    button logs in."""
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64)), is_active=True)
    except (ValueError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not login_link_tokens.check_token(user, token[:100]):
        return render(request, "signals/message.html", {"message": "login_link_bad"}, status=400)
    if request.method == "GET":
        return render(request, "signals/login_link_confirm.html", {"person": user})
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return _way_in(request, user, redirect("home"))


def login_link_sent(request):
    return render(request, "signals/message.html", {"message": "login_link_sent"})


def password_reset_sent(request):
    return render(request, "signals/message.html", {"message": "reset_sent"})


def password_reset_done(request):
    return render(request, "signals/message.html", {"message": "reset_done"})


@require_GET
def email_verify_page(request, token: str):
    user = email_verify(token[:500])
    return render(
        request, "signals/message.html", {"message": "email_verified" if user else "email_link_bad"}
    )


class LogoutPage(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        return forget_this_browser(super().post(request, *args, **kwargs))


def _boot(user) -> dict:
    """What the app starts from; everything later comes over the socket."""
    return {
        "me": {"id": user.pk, "display_name": user.display_name, "timezone": user.timezone},
        "couple": services.couple_snapshot(user=user),
        "presets": [{"key": k, "message": str(v)} for k, v in PRESETS.items()],
        "meanings": {state: str(WORDS[f"meaning_{state}"]) for state in State.values},
        # A flag's words in the reader's language (an event carries its raiser's).
        "flag_words": {"message": str(WORDS["flag_message"]), "suggestion": str(WORDS["flag_suggestion"])},
        "replies": [
            {"key": key, "button": str(WORDS[f"reply_button_{key}"]), "words": str(WORDS[f"reply_{key}"])}
            for key in Reply.values
        ],
    }


@never_cache
def home(request):
    if not request.user.is_authenticated:
        return _welcome(request)
    if request.user.active_couple() is None:
        return redirect("pair")
    return render(request, "signals/home.html", {"boot": _boot(request.user), "page": "home"})


def _welcome(request):
    """The first visit: what Porchlight is and what the three lights mean."""
    lights = [
        {"state": state, "name": WORDS[f"light_{state}"], "meaning": WORDS[f"meaning_{state}"]}
        for state in State.values
    ]
    return render(request, "signals/welcome.html", {"lights": lights, "page": "welcome"})


@login_required
@require_http_methods(["GET", "POST"])
def pair(request):
    """Make an invite (a code, a link and a QR code), or type the partner's code."""
    invite, error = None, None
    join_form = JoinForm(request.POST if "code" in request.POST else None, initial=request.GET)
    if request.user.active_couple() is not None and request.method == "GET":
        return redirect("home")
    try:
        if request.method == "POST" and "invite" in request.POST:
            invite = couples_services.invite_create(user=request.user)
        elif request.method == "POST" and join_form.is_valid():
            couples_services.couple_join(user=request.user, code=join_form.cleaned_data["code"])
            return redirect("home")
    except couples_services.ServiceError as e:
        error = e.detail
    context = {
        "invite": invite,
        "join_form": join_form,
        "error": error,
        "page": "pair",
        "ended": couples_services.pairing_ended(user=request.user),
    }
    if invite is not None:
        link = request.build_absolute_uri(f"/pair/?code={invite.code}")
        context["link"] = link
        context["qr"] = segno.make(link, error="m").svg_inline(scale=5, dark="#111", light="#fff")
    return render(request, "signals/pair.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["POST"])
def unpair(request):
    couples_services.couple_unpair(user=request.user)
    return redirect("pair")


def _paired_page(template: str, page: str):
    @login_required
    @never_cache
    def view(request):
        couple = request.user.active_couple()
        if couple is None:
            return redirect("pair")
        context = {"boot": _boot(request.user), "page": page, "couple": couple, "days": DAYS}
        return render(request, template, context)

    return view


rhythm = _paired_page("signals/rhythm.html", "rhythm")

settings_page = _paired_page("signals/settings.html", "settings")


def _quoted(text: str) -> str:
    return _("“%(text)s”") % {"text": text}


def _with_note(text: str, note: str | None) -> str:
    return f"{text} · {_quoted(note)}" if note else text


RHYTHM_ACTIONS = {
    "created": gettext_lazy("%(who)s added “%(block)s”"),
    "updated": gettext_lazy("%(who)s changed “%(block)s”"),
    "deleted": gettext_lazy("%(who)s removed “%(block)s”"),
}


def _event_sentence(event: Event, names: dict) -> str:
    """One line of the history page, in the reader's language (names and notes as written)."""
    who = names.get(event.actor_id, "")
    data = event.data
    match event.kind:
        case "signal.changed":
            return _with_note(f"{who}: {WORDS['light_' + data['state']]}", data.get("note"))
        case "signal.answered":
            return _with_note(f"{who}: {WORDS['reply_' + data['reply']]}", data.get("note"))
        case "preview.posted":
            return _("%(who)s posted a preview: “%(message)s”") % {
                "who": who,
                "message": data["preview"]["message"],
            }
        case "preview.cleared":
            return _("%(who)s cleared their preview") % {"who": who}
        case "reunion":
            return _("%(who)s is back") % {"who": who}
        case "preview.due":
            return _("Time to reconnect, %(who)s") % {"who": names.get(data["user"], "")}
        case "rhythm.changed":
            sentence = RHYTHM_ACTIONS.get(data["action"], RHYTHM_ACTIONS["updated"])
            return sentence % {"who": who, "block": data["block"]["name"]}
        case "reminder.fired":
            if data["reminder"] == "start":
                return _("%(block)s starts now") % {"block": data["block"]["name"]}
            return _("%(block)s starts soon") % {"block": data["block"]["name"]}
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
            return _with_note(f"{who}: {WORDS['ask_' + data['answer']]}", data.get("note"))
        case "checkin.revealed":
            return _("Check-in of %(week)s: you have both written") % {"week": data["week"]}
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
                    "week_of": week["week_of"],
                    "x": round(i * group + 6 + j * (group - 12) / 3, 1),
                    "width": round((group - 12) / 3 - 2, 1),
                    "y": round(140 - height, 1),
                    "height": height,
                }
            )
    return {
        "bars": bars,
        "weeks": weeks,
        "labels": [
            # Anchored at their start, inside the chart: centred, the first one was cut off.
            {"x": round(i * group + 2, 1), "text": w["week_of"][5:]}
            for i, w in enumerate(weeks)
            if i % 2 == 0
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
    except couples_services.NotPaired:
        return redirect("pair")
    names = {p.pk: p.display_name for p in couple.partners()}
    now = timezone.now()
    today = now.astimezone(ZoneInfo(couple.timezone)).date()
    week = history_module.summary(user=request.user, period="week", day=today, now=now)
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
    context = {
        "rows": rows,
        "older": page["next_cursor"],
        "paged": before.isdigit(),
        "page": "history",
        "couple": couple if not own_only else None,
        "archive": own_only,
        "week": week,
        "strip": _week_strip_rows(couple, names, today, now, only=request.user if own_only else None),
        "bars": _weekly_bars(couple, now) if not own_only else None,
        "width": STRIP_WIDTH,
    }
    return render(request, "signals/history.html", context)


@require_GET
def javascript_catalog(request, language: str):
    """The pages' JavaScript words (gettext, interpolate) in one language. The language
    is in the address, so that the service worker keeps one copy per language."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    with translation.override(language):
        return _javascript_catalog(request)


_javascript_catalog = JavaScriptCatalog.as_view()


@require_GET
def manifest(request):
    return JsonResponse(
        {
            "name": "Porchlight",
            "short_name": "Porchlight",
            "description": _("Keep a light on for each other."),
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#f6f3ee",
            "theme_color": "#1d2330",
            "icons": [
                {"src": static("signals/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": static("signals/icon-512.png"), "sizes": "512x512", "type": "image/png"},
                {
                    "src": static("signals/icon-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
                {"src": static("signals/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            ],
        },
        content_type="application/manifest+json",
    )


@require_GET
def service_worker(request):
    # Served from the root so that it may control every page.
    response = HttpResponse(service_worker_script(), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@functools.cache
def service_worker_script() -> str:
    """sw.js with its cache named for what it caches: the static files and the pages'
    words. The worker serves those from its cache first, so a phone would keep an old
    file until the worker changes; a new name makes it fetch them all again."""
    script = (STATIC / "sw.js").read_text()
    assert SW_VERSION in script, f"sw.js names its cache {SW_VERSION}"
    digest = hashlib.sha256()
    apps = Path(settings.BASE_DIR)  # each app's static/<app>/ files, and the catalogues
    files = [*apps.glob("*/static/*/*"), *apps.glob("config/locale/*/LC_MESSAGES/djangojs.po")]
    for path in sorted(f for f in files if f.is_file() and not f.is_relative_to(settings.STATIC_ROOT)):
        digest.update(str(path.relative_to(apps)).encode() + b"\0" + path.read_bytes())
    return script.replace(SW_VERSION, f"porchlight-{digest.hexdigest()[:12]}")


SW_VERSION = "porchlight-dev"


def offline(request):
    return render(request, "signals/offline.html", {"page": "offline"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


@never_cache
def healthz(request):
    checks = {"database": _database_ok(), "channel_layer": bell_ok()}
    body = {"ok": all(checks.values()), **{k: "ok" if v else "down" for k, v in checks.items()}}
    return JsonResponse(body, status=200 if body["ok"] else 503)
