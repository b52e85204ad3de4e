"""Signing up, logging in and out, resets, one-time log-in links and e-mail
confirmation: pages that work without JavaScript, held to the API's limits."""

from urllib.parse import urlparse

from django import forms
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from couples import mail
from couples import services as couples_services
from couples.language import language_asked
from couples.mail import email_verify, login_link_tokens
from couples.middleware import forget_this_browser
from couples.models import OutgoingMail, User
from couples.throttles import LoginGuard, address_wait, password_reset_wait
from couples.validators import validate_timezone


class RegisterForm(UserCreationForm):
    display_name = forms.CharField(max_length=60, label=gettext_lazy("Your name, as your partner sees it"))
    timezone = forms.CharField(
        max_length=64, initial="UTC", validators=[validate_timezone], label=gettext_lazy("Time zone")
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "display_name", "timezone"]


def throttled(request, seconds: int) -> HttpResponse:
    """A kind 429 page for the sign-up and log-in forms: when to try again."""
    minutes = max(1, -(-seconds // 60))
    response = render(request, "web/throttled.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(seconds)
    return response


@require_http_methods(["GET", "POST"])
def register(request):
    if request.method == "POST" and (wait := address_wait(request)) is not None:
        return throttled(request, wait)
    form = RegisterForm(request.POST or None)
    # Where to go next: the pairing link a partner followed, with its code.
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    if request.method == "POST" and form.is_valid():
        form.instance.language = language_asked()
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(next_url or "pair")
    invited = urlparse(next_url).path == reverse("pair") and "code=" in next_url
    return render(request, "web/register.html", {"form": form, "next": next_url, "invited": invited})


@require_POST
def language_choose(request):
    """The language switch of the pages: a signed-in person's choice is theirs
    (User.language, as Settings saves it), a visitor's stays in the browser's cookie."""
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return set_language(request)


class LoginPage(auth_views.LoginView):
    """Django's log-in form, held to the API's limits (couples.throttles)."""

    template_name = "web/login.html"
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

    template_name = "web/password_reset.html"
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

    extra_context = {"login_link": True}
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

    template_name = "web/password_reset_confirm.html"
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
        return render(request, "web/message.html", {"message": "login_link_bad"}, status=400)
    if request.method == "GET":
        return render(request, "web/login_link_confirm.html", {"person": user})
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return _way_in(request, user, redirect("home"))


def login_link_sent(request):
    return render(request, "web/message.html", {"message": "login_link_sent"})


def password_reset_sent(request):
    return render(request, "web/message.html", {"message": "reset_sent"})


def password_reset_done(request):
    return render(request, "web/message.html", {"message": "reset_done"})


@require_GET
def email_verify_page(request, token: str):
    user = email_verify(token[:500])
    return render(request, "web/message.html", {"message": "email_verified" if user else "email_link_bad"})


class LogoutPage(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        return forget_this_browser(super().post(request, *args, **kwargs))
