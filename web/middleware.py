"""The pages' answer when a service they lean on is down."""

from django.db import DatabaseError
from django.shortcuts import render
from redis.exceptions import RedisError

RETRY_SECONDS = 30


def unavailable_page(get_response):
    """A page (log-in, reset, …) whose Redis or database is briefly gone answers 503 in
    the app's style, saying to try again soon, not a bare 500. The API says the same in
    its own shape (couples.api.exception_handler)."""

    def middleware(request):
        return get_response(request)

    def process_exception(request, exception):
        if request.path.startswith("/api/") or not isinstance(exception, (RedisError, DatabaseError)):
            return None
        response = render(request, "web/unavailable.html", {"page": "unavailable"}, status=503)
        response["Retry-After"] = str(RETRY_SECONDS)
        return response

    middleware.process_exception = process_exception
    return middleware
