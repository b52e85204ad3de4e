"""Shared pieces of the JSON API: error shape, throttles, and who is asking."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, IntegrityError
from django.http import JsonResponse
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from couples.rates import write_wait
from couples.services import ServiceError, login_of_session, login_of_token
from couples.words import WORDS

log = logging.getLogger(__name__)


def _error(code: str, detail, status_code: int, errors=None) -> Response:
    body = {"code": code, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status_code)


def event_written(request, serializer_class, write) -> Response:
    """A write named by an op_id, from its request to its answer: the body validated,
    `write(user=..., **fields)` called, and its event returned: 201 when new, 200 with
    the same event for a retry of the op_id."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    event, created = write(user=request.user, **serializer.validated_data)
    return Response(event.as_body(), status=201 if created else 200)


def exception_handler(exc, context):
    """Every refusal as {code, detail[, errors]}; infrastructure trouble as 503."""
    if isinstance(exc, ServiceError):
        return _error(exc.code, exc.detail, exc.status)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return _error("invalid", WORDS["invalid_fields"], 400, errors)
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return _error("invalid", WORDS["invalid_fields"], 400, errors)
    if isinstance(exc, DataError):
        return _error("invalid", WORDS["out_of_range"], 400)
    if isinstance(exc, IntegrityError):
        return _error("conflict", WORDS["conflict"], 409)
    if isinstance(exc, (DatabaseError, RedisError)):
        # Nothing half-written: the transaction rolled back. Say so and let the
        # client retry (with its op_id).
        log.warning("service unavailable: %s", type(exc).__name__)
        return _error("unavailable", WORDS["unavailable"], status.HTTP_503_SERVICE_UNAVAILABLE)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = {"code": code, "detail": str(exc.detail)}
    return response


class KeyedThrottle(SimpleRateThrottle):
    """A rate limit keyed by the user, or by the client address."""

    by_user = True

    def get_cache_key(self, request, view):
        if self.by_user and request.user and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return f"throttle_{self.scope}_{ident}"


class PersonWriteThrottle(BaseThrottle):
    """Every change a signed-in person makes over REST counts against their one budget,
    which their sockets share (couples.rates)."""

    def allow_request(self, request, view):
        self.seconds = None
        if request.method in SAFE_METHODS or not (request.user and request.user.is_authenticated):
            return True
        self.seconds = write_wait(user_id=request.user.pk)
        return self.seconds is None

    def wait(self):
        return self.seconds


class JoinUserThrottle(KeyedThrottle):
    scope = "join_user"


class JoinAddressThrottle(KeyedThrottle):
    scope = "join_ip"
    by_user = False


def request_login(request) -> str:
    """Which login this request rides on: a token, or a browser session."""
    if isinstance(request.auth, Token):
        return login_of_token(request.auth.key)
    return login_of_session(request.session.session_key)


# The API's answers to what Django refuses before any view: the page handlers
# (web.pages.errors) hand API paths to these.


def csrf_failure(request, reason=""):
    """A refused CSRF check, in the API's own shape."""
    return JsonResponse({"code": "csrf_failed", "detail": WORDS["csrf_failed"]}, status=403)


def bad_request(request, exception=None):
    """A body past DATA_UPLOAD_MAX_MEMORY_SIZE is a 413; anything else Django refused, 400."""
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"code": "too_large", "detail": WORDS["body_too_large"]}, status=413)
    return JsonResponse({"code": "bad_request", "detail": WORDS["bad_request"]}, status=400)


def not_found(request, exception=None):
    return JsonResponse({"code": "not_found", "detail": WORDS["not_found"]}, status=404)


def server_error(request):
    return JsonResponse({"code": "server_error", "detail": WORDS["server_error"]}, status=500)


class IdConverter:
    """Ids in URLs: at most 18 digits, so a huge number is a 404, not a database error."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)
