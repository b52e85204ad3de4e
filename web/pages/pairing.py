"""Pairing: make an invite (a code, a link, a QR code) or type the partner's; unpair."""

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from couples import services as couples_services
from couples.models import invite_code_normalize
from web.boot import app_context


class JoinForm(forms.Form):
    code = forms.CharField(max_length=32, label=gettext_lazy("Your partner's code"))


@never_cache
@require_http_methods(["GET", "POST"])
def pair(request):
    """Make an invite (a code, a link and a QR code: the open one again, until a new one
    replaces it), or type the partner's code. A partner who follows the link without an
    account signs up (or logs in) and comes back here with the code filled in."""
    if not request.user.is_authenticated:
        if "code" in request.GET:
            return redirect_to_login(request.get_full_path(), reverse("register"))
        return redirect_to_login(request.get_full_path())
    if request.user.active_couple() is not None and request.method == "GET":
        return redirect("home")
    error = None
    join_form = JoinForm(request.POST if "code" in request.POST else None, initial=request.GET)
    try:
        if request.method == "POST" and "invite" in request.POST:
            couples_services.invite_create(user=request.user)
            return redirect("pair")  # shown by the GET: a reload does not make another
        elif request.method == "POST" and join_form.is_valid():
            couples_services.couple_join(user=request.user, code=join_form.cleaned_data["code"])
            return redirect("home")
    except couples_services.ServiceError as e:
        error = e.detail
    invite = couples_services.invite_open(user=request.user)
    given = invite_code_normalize(request.GET.get("code", ""))
    context = app_context(
        request,
        "pair",
        invite=invite,
        join_form=join_form,
        # Following the partner's link: their code comes first, ready to use.
        joining=bool(given) and not (invite and invite.code == given),
        error=error,
        ended=couples_services.pairing_ended(user=request.user),
    )
    if invite is not None:
        link = request.build_absolute_uri(f"/pair/?code={invite.code}")
        context["link"] = link
        context["qr"] = segno.make(link, error="m").svg_inline(scale=5, dark="#111", light="#fff")
    return render(request, "web/pair.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["POST"])
def unpair(request):
    couples_services.couple_unpair(user=request.user)
    return redirect("pair")
