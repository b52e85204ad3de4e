"""`/metrics` in Prometheus's text format: off unless PORCHLIGHT_METRICS_TOKEN is set, and
then only for a request bearing that token. The counters are couples.metrics'; the
scheduler's lag is read from the database at each scrape, so it is the same whichever
process answers and whichever schedules."""

import os

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from couples import metrics
from rhythms.services import scheduler_lag_seconds


class SchedulerLag:
    def collect(self):
        yield GaugeMetricFamily(
            "porchlight_scheduler_lag_seconds",
            "How long the most overdue reminder has waited to be sent",
            value=scheduler_lag_seconds(timezone.now()),
        )


def metrics_page(request) -> HttpResponse:
    expected = settings.PORCHLIGHT["METRICS_TOKEN"]
    if not expected:
        raise Http404()
    if not constant_time_compare(request.headers.get("Authorization", ""), f"Bearer {expected}"):
        response = HttpResponse(_("A bearer token is needed.") + "\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # every process of this host, added up
    else:
        for collector in metrics.ALL:
            registry.register(collector)
    registry.register(SchedulerLag())
    response = HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
