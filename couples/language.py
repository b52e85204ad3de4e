"""The language follows the person: their own choice (User.language) once they are
known, the browser's Accept-Language before (Django's LocaleMiddleware). Whatever reaches
a person when they are not the one asking (a push, a mail) is in their language too:
`translation.override(user.language)` where it is written."""

from django.conf import settings
from django.utils import translation
from rest_framework import authentication


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
    """DRF's, and the person's language for the rest of the request: a token is read
    in the view, after every middleware (person_language cannot see it)."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        translation.activate(user.language)
        return user, token


def language_asked() -> str:
    """The language this request is read in (a new account starts with it)."""
    asked = translation.get_language()
    return asked if asked in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
