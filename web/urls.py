"""The phone app's pages, by page (web/pages/)."""

from django.urls import path

from web.pages import accounts, app, history, lights, pairing, practice, rhythm, settings

urlpatterns = [
    path("", lights.home, name="home"),
    path("accounts/register/", accounts.register, name="register"),
    path("accounts/login/", accounts.LoginPage.as_view(), name="login"),
    path("accounts/logout/", accounts.LogoutPage.as_view(), name="logout"),
    path("accounts/password-reset/", accounts.PasswordResetPage.as_view(), name="password-reset"),
    path("accounts/password-reset/sent/", accounts.password_reset_sent, name="password-reset-sent"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmPage.as_view(),
        name="password-reset-confirm",
    ),
    path("accounts/reset/done/", accounts.password_reset_done, name="password-reset-done"),
    path("accounts/login/link/", accounts.LoginLinkRequestPage.as_view(), name="login-link-request"),
    path("accounts/login/link/sent/", accounts.login_link_sent, name="login-link-sent"),
    path("accounts/login/link/<uidb64>/<token>/", accounts.login_link, name="login-link"),
    path("accounts/email/verify/<str:token>/", accounts.email_verify_page, name="email-verify"),
    path("pair/", pairing.pair, name="pair"),
    path("unpair/", pairing.unpair, name="unpair"),
    path("rhythm/", rhythm.rhythm, name="rhythm"),
    path("history/", history.history, name="history"),
    path("settings/", settings.settings_page, name="settings"),
    path("practice/", practice.practice_page, name="practice"),
    path("offline/", app.offline, name="offline"),
    path("manifest.webmanifest", app.manifest, name="manifest"),
    path("language/", accounts.language_choose, name="language"),
    path("jsi18n/<str:language>.js", app.javascript_catalog, name="javascript-catalog"),
    path("sw.js", app.service_worker, name="service-worker"),
    path("healthz/", app.healthz, name="healthz"),
]
