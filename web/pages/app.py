"""What makes it an installable app: its words for scripts, manifest, service worker,
offline page, and the health check."""

import functools
import hashlib
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

from couples.bell import bell_ok

STATIC = Path(__file__).resolve().parent.parent / "static" / "web"


@require_GET
def javascript_catalog(request, language: str):
    """The pages' JavaScript words (gettext, interpolate) in one language. The language
    is in the address, so that the service worker keeps one copy per language."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    with translation.override(language):
        return _javascript_catalog(request)


_javascript_catalog = JavaScriptCatalog.as_view()


@require_GET
def manifest(request):
    return JsonResponse(
        {
            "name": "Porchlight",
            "short_name": "Porchlight",
            "description": _("Keep a light on for each other."),
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#f6f3ee",
            "theme_color": "#1d2330",
            "icons": [
                {"src": static("web/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": static("web/icon-512.png"), "sizes": "512x512", "type": "image/png"},
                {
                    "src": static("web/icon-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
                {"src": static("web/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            ],
        },
        content_type="application/manifest+json",
    )


@require_GET
def service_worker(request):
    # Served from the root so that it may control every page.
    response = HttpResponse(service_worker_script(), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@functools.cache
def service_worker_script() -> str:
    """sw.js with its cache named for what it caches: the static files and the pages'
    words. The worker serves those from its cache first, so a phone would keep an old
    file until the worker changes; a new name makes it fetch them all again."""
    script = (STATIC / "sw.js").read_text()
    assert SW_VERSION in script, f"sw.js names its cache {SW_VERSION}"
    digest = hashlib.sha256()
    apps = Path(settings.BASE_DIR)  # each app's static/<app>/ files, and the catalogues
    files = [*apps.glob("*/static/*/*"), *apps.glob("config/locale/*/LC_MESSAGES/djangojs.po")]
    for path in sorted(f for f in files if f.is_file() and not f.is_relative_to(settings.STATIC_ROOT)):
        digest.update(str(path.relative_to(apps)).encode() + b"\0" + path.read_bytes())
    return script.replace(SW_VERSION, f"porchlight-{digest.hexdigest()[:12]}")


SW_VERSION = "porchlight-dev"


def offline(request):
    return render(request, "web/offline.html", {"page": "offline"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


@never_cache
def healthz(request):
    checks = {"database": _database_ok(), "channel_layer": bell_ok()}
    body = {"ok": all(checks.values()), **{k: "ok" if v else "down" for k, v in checks.items()}}
    return JsonResponse(body, status=200 if body["ok"] else 503)
