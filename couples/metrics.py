"""Counts for the people who run Porchlight (`prometheus-client`), served at `/metrics`
(config/metrics.py). No label names a couple or a person: the counts are of the service.

Every process counts its own. With several workers, set PROMETHEUS_MULTIPROC_DIR
to an empty directory that they (and the scheduler processes on the same host) share:
prometheus-client then adds up all of them for each scrape (docs/deploy.md).
"""

from prometheus_client import Counter, Gauge

REQUESTS = Counter("porchlight_http_requests", "HTTP requests answered", ["method", "status"])
SOCKETS_OPEN = Gauge("porchlight_sockets_open", "Live websockets", multiprocess_mode="livesum")
EVENTS_WRITTEN = Counter("porchlight_events_written", "Events committed to couples' logs", ["kind"])
PUSH_SENT = Counter("porchlight_push_sent", "Push messages the push service accepted")
PUSH_FAILED = Counter("porchlight_push_failed", "Push messages the push service refused or that failed")

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

ALL = [REQUESTS, SOCKETS_OPEN, EVENTS_WRITTEN, PUSH_SENT, PUSH_FAILED]


def request_counted(method: str, status: int) -> None:
    REQUESTS.labels(method if method in METHODS else "other", f"{status // 100}xx").inc()
