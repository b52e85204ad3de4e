"""The error pages (400, 403, 404, 500 and a refused CSRF check) in the app's style and
the reader's language; an API call still gets the API's JSON (couples.api)."""

from django.http import HttpResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

from couples import api


def _page(status: int, heading: str, text: str) -> HttpResponse:
    # Rendered without the request: no session or database is needed to say what went wrong.
    body = loader.render_to_string("web/error.html", {"heading": heading, "text": text, "page": "error"})
    return HttpResponse(body, status=status)


def bad_request(request, exception=None):
    if request.path.startswith("/api/"):
        return api.bad_request(request, exception)
    return _page(
        400,
        _("That request did not work"),
        _("Something in it could not be read. Please go back and try again."),
    )


def permission_denied(request, exception=None):
    return _page(403, _("This is not yours to open"), _("It belongs to someone else, or you are logged out."))


def csrf_failure(request, reason=""):
    if request.path.startswith("/api/"):
        return api.csrf_failure(request, reason)
    return _page(
        403,
        _("Please reload the page"),
        _(
            "This form was open for too long, or your browser did not send its safety cookie. Reload the page and try again."
        ),
    )


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return api.not_found(request, exception)
    return _page(404, _("Nothing here"), _("This page does not exist, or it is gone."))


def server_error(request):
    if request.path.startswith("/api/"):
        return api.server_error(request)
    try:
        return _page(
            500,
            _("Something went wrong"),
            _("It is not your doing, and it has been noted. Please try again in a moment."),
        )
    except Exception:  # the page itself failing must not hide the first error
        return django_server_error(request)
