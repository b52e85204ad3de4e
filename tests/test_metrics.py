"""For the people who run it: /metrics (Prometheus text, behind a bearer token) and
`manage.py porchlight_stats` (counts only)."""

import asyncio
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from couples.models import Event
from rhythms.models import Reminder
from rhythms.services import block_create
from signals import sockets
from signals.services import signal_set
from tests.conftest import client_for
from tests.test_push import deliver, subscribe

pytestmark = pytest.mark.django_db

TOKEN = "a-long-operator-token"


@pytest.fixture
def metrics_on(settings):
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "METRICS_TOKEN": TOKEN}


def _scrape() -> dict[str, list]:
    r = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/plain; version=")
    return {f.name: f.samples for f in text_string_to_metric_families(r.content.decode())}


def _value(samples, **labels) -> float:
    return sum(s.value for s in samples if s.name.endswith("_total") and labels.items() <= s.labels.items())


def test_it_is_not_there_without_a_token_set(couple, anon):
    assert Client().get("/metrics").status_code == 404


def test_it_asks_for_the_bearer_token(metrics_on):
    assert Client().get("/metrics").status_code == 401
    r = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong")
    assert r.status_code == 401 and r["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db(transaction=True)  # events are counted as they are committed
def test_it_counts_requests_events_and_pushes_with_no_couple_in_a_label(
    metrics_on, couple, alice, bob, settings
):
    before = _scrape()
    client_for(alice).post("/api/signal/", {"state": "yellow", "note": "tired"})
    client_for(alice).get("/api/couple/")
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "PUSH_ALLOW_LOCAL": True, "PUSH_TIMEOUT_SECONDS": 1}
    from tests.pushservice import PushService

    service = PushService()
    try:
        subscribe(bob, service)
        signal_set(user=alice, state="red")
        deliver()
    finally:
        service.close()
    after = _scrape()

    def grew(name, **labels):
        return _value(after[name], **labels) - _value(before.get(name, []), **labels)

    assert grew("porchlight_http_requests", method="POST", status="2xx") >= 2
    assert grew("porchlight_http_requests", method="GET", status="2xx") >= 2  # the scrape itself, too
    assert grew("porchlight_events_written", kind="signal.changed") == 2
    assert grew("porchlight_push_sent") == 1
    assert "porchlight_sockets_open" in after
    text = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    for private in ("alice", "bob", "tired", f"couple={couple.pk}", "user="):
        assert private not in text.lower()


def test_it_reports_how_late_the_most_overdue_reminder_is(metrics_on, couple, alice):
    block, _ = block_create(
        user=alice,
        fields={"kind": "connection", "name": "Dinner", "days": [0], "start": "19:00", "minutes": 60},
    )
    assert _scrape()["porchlight_scheduler_lag_seconds"][0].value == 0
    Reminder.objects.filter(block=block).update(next_fire_at=timezone.now() - timedelta(minutes=3))
    assert 180 <= _scrape()["porchlight_scheduler_lag_seconds"][0].value < 240


def test_it_prints_counts_and_never_a_name_or_note(couple, alice, bob, charlie):
    signal_set(user=alice, state="yellow", note="a quiet worry")
    out = StringIO()
    call_command("porchlight_stats", stdout=out)
    text = out.getvalue()
    assert "people: 3" in text and "couples paired: 1" in text and "couples ended: 0" in text
    today = timezone.now().date().isoformat()
    assert f"  {today}  {Event.objects.count()}" in text
    for private in ("alice", "Alice", "bob", "charlie", "worry"):
        assert private not in text


@pytest.mark.scaled
@pytest.mark.django_db(transaction=True)
def test_it_prints_each_workers_sockets_from_redis(couple, alice):
    class Socket:
        pass

    sockets.LOCAL[alice.pk].update({Socket(), Socket()})
    try:
        asyncio.run(sockets._vouch())
        out = StringIO()
        call_command("porchlight_stats", stdout=out)
    finally:
        del sockets.LOCAL[alice.pk]
    assert f"  {sockets.PROCESS}  2" in out.getvalue()
    assert "  total  " in out.getvalue()
