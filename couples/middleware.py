"""Response headers for private data, the count of requests for /metrics, and whose
X-Forwarded-For is believed."""

import ipaddress

from django.conf import settings
from django.utils.cache import add_never_cache_headers

from couples.metrics import request_counted

# Logging out or deleting an account tells the browser to drop what it kept for this
# site: the service worker's cached pages (a previous person's lights and notes,
# offline), local storage (the taps' outbox) and the worker itself. Not cookies: the
# CSRF cookie and the signed "known browser" cookie (couples.throttles) stay.
CLEAR_SITE_DATA = '"cache", "storage"'


def api_no_store(get_response):
    """The API's answers are a couple's private data: no cache may keep them (the
    export included)."""

    def middleware(request):
        response = get_response(request)
        if request.path.startswith("/api/"):
            add_never_cache_headers(response)
        return response

    return middleware


def proxies_trusted(get_response):
    """X-Forwarded-For counts only from the reverse proxies named in
    PORCHLIGHT_TRUSTED_PROXY_IPS: from any other client the header is dropped, so the
    throttles (DRF's NUM_PROXIES) take the socket's address and nobody can name their own."""
    networks = settings.TRUSTED_PROXY_NETWORKS

    def middleware(request):
        if "HTTP_X_FORWARDED_FOR" in request.META and not _from(request.META.get("REMOTE_ADDR"), networks):
            del request.META["HTTP_X_FORWARDED_FOR"]
        return get_response(request)

    return middleware


def _from(address: str | None, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


def requests_counted(get_response):
    def middleware(request):
        response = get_response(request)
        request_counted(request.method, response.status_code)
        return response

    return middleware


def forget_this_browser(response):
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response
