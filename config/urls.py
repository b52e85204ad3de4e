from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from couples import pages
from couples import views as couples_views
from signals import views as signals_views

api = [
    path("auth/register/", couples_views.RegisterView.as_view(), name="api-register"),
    path("auth/token/", couples_views.TokenView.as_view(), name="api-token"),
    path("auth/login/", couples_views.LoginView.as_view(), name="api-login"),
    path("auth/logout/", couples_views.LogoutView.as_view(), name="api-logout"),
    path("auth/password/", couples_views.PasswordView.as_view(), name="api-password"),
    path("me/", couples_views.MeView.as_view(), name="api-me"),
    path("couple/", signals_views.CoupleView.as_view(), name="api-couple"),
    path("couple/invite/", couples_views.InviteView.as_view(), name="api-invite"),
    path("couple/join/", signals_views.JoinView.as_view(), name="api-join"),
    path("signal/", signals_views.SignalView.as_view(), name="api-signal"),
    path("ws-ticket/", couples_views.WsTicketView.as_view(), name="api-ws-ticket"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

urlpatterns = [
    path("", pages.home, name="home"),
    path("accounts/register/", pages.register, name="register"),
    path("accounts/login/", pages.LoginPage.as_view(), name="login"),
    path("accounts/logout/", pages.LogoutPage.as_view(), name="logout"),
    path("pair/", pages.pair, name="pair"),
    path("healthz/", pages.healthz, name="healthz"),
    path("api/", include(api)),
]
