"""Simple server-rendered pages: sign up, log in, log out, pair. The phone UI is #4."""

from django import forms
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from couples import services
from couples.models import User
from couples.validators import validate_timezone


class RegisterForm(UserCreationForm):
    display_name = forms.CharField(max_length=60, label="Your name, as your partner sees it")
    timezone = forms.CharField(max_length=64, initial="UTC", validators=[validate_timezone])

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "display_name", "timezone"]


class JoinForm(forms.Form):
    code = forms.CharField(max_length=32, label="Your partner's code")


@require_http_methods(["GET", "POST"])
def register(request):
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "couples/register.html", {"form": form})


class LoginPage(auth_views.LoginView):
    template_name = "couples/login.html"


class LogoutPage(auth_views.LogoutView):
    pass


@login_required
def home(request):
    couple = request.user.active_couple()
    context = {"couple": couple, "partner": couple.partner_of(request.user) if couple else None}
    return render(request, "couples/home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def pair(request):
    """Make an invite, or type the partner's code (a share link fills it in)."""
    invite, error = None, None
    join_form = JoinForm(request.POST if "code" in request.POST else None, initial=request.GET)
    try:
        if request.method == "POST" and "invite" in request.POST:
            invite = services.invite_create(user=request.user)
        elif request.method == "POST" and join_form.is_valid():
            services.couple_join(user=request.user, code=join_form.cleaned_data["code"])
            return redirect("home")
        elif request.method == "POST" and "unpair" in request.POST:
            services.couple_unpair(user=request.user)
            return redirect("home")
    except services.ServiceError as e:
        error = e.detail
    context = {"invite": invite, "join_form": join_form, "error": error}
    return render(request, "couples/pair.html", context, status=400 if error else 200)


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
