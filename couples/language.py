"""The language follows the person: their own choice (User.language) once they are
known, the browser's Accept-Language before (Django's LocaleMiddleware). Whatever reaches
a person when they are not the one asking (a push, a mail) is in their language too:
`translation.override(user.language)` where it is written."""

import functools

import drf_spectacular.authentication
from django.conf import settings
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token


def person_language(get_response):
    """After AuthenticationMiddleware: a logged-in person's pages and API answers in
    their language, whatever the browser asks for."""

    def middleware(request):
        if request.user.is_authenticated:
            translation.activate(request.user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return get_response(request)

    return middleware


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's, with its lookup in one raw statement and the person's language switched on
    for the rest of the request (a token is read in the view, after every middleware).
    DRF's own select_related lookup cost 0.92-1.27 ms of CPU against 0.43-0.50, and with it
    a full `make bench-load` put the REST p50 level with the peer's (docs/benchmarks.md)."""

    def authenticate_credentials(self, key):
        from couples.models import User  # DRF imports this class while models load

        user = next(iter(User.objects.raw(_token_user_sql(), [key])), None)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        translation.activate(user.language)
        return user, Token(key=key, user=user)


@functools.cache
def _token_user_sql() -> str:
    from couples.models import User

    quote = connection.ops.quote_name
    return (
        f"SELECT u.* FROM {quote(User._meta.db_table)} u JOIN {quote(Token._meta.db_table)} t"
        f" ON t.{quote('user_id')} = u.{quote('id')} WHERE t.{quote('key')} = %s"
    )


def language_asked() -> str:
    """The language this request is read in (a new account starts with it)."""
    asked = translation.get_language()
    return asked if asked in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's, its CSRF refusal in the API's own words: `csrf_failed`, in the person's
    language (the middleware has switched it on by now), not DRF's English."""

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            from couples.words import WORDS

            raise exceptions.PermissionDenied(WORDS["csrf_failed"], code="csrf_failed") from None


class SessionScheme(drf_spectacular.authentication.SessionScheme):
    """The schema names our session authentication as DRF's (drf-spectacular matches
    DRF's class exactly, not its subclasses)."""

    target_class = "couples.language.SessionAuthentication"
