"""History benchmark: a couple with a year of heavy use, on PostgreSQL.

Measures, through the full Django request path (test client, no network), the week and
month summaries and the first timeline page, and reports each against the floor
measured in the same run: a `SELECT 1` round trip on the same connection.

    make bench-history      (or: DATABASE_URL=postgres://… python -m bench.history)
"""

import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import django

from bench import report

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from couples.models import Couple, Event, Membership, User  # noqa: E402
from rhythms.models import Preview  # noqa: E402
from signals.models import Signal, SignalSpan  # noqa: E402

EVENTS = int(os.environ.get("BENCH_EVENTS", "24000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "60"))
STATES = ["green"] * 6 + ["yellow"] * 3 + ["red"]


def build_year(now: datetime) -> tuple[User, Couple]:
    """One couple, `EVENTS` light changes spread over the last year, with previews and
    reminders among them: written in bulk, as a year of use would have left them."""
    call_command("migrate", verbosity=0)
    for model in (Event, SignalSpan, Signal, Preview, Membership, Couple):
        model.objects.all().delete()
    User.objects.filter(username__startswith="bench-").delete()
    alice = User.objects.create_user(
        "bench-alice", password=None, display_name="Alice", timezone="Europe/Berlin"
    )
    bob = User.objects.create_user("bench-bob", password=None, display_name="Bob", timezone="Europe/Berlin")
    couple = Couple.objects.create(timezone="Europe/Berlin", created_at=now - timedelta(days=366))
    Membership.objects.bulk_create([Membership(couple=couple, user=u) for u in (alice, bob)])
    rng = random.Random(7)
    start = now - timedelta(days=365)
    step = timedelta(days=365) / EVENTS
    events, spans, previews = [], [], []
    open_span = {}
    for i in range(EVENTS):
        at = start + step * i
        user = alice if rng.random() < 0.5 else bob
        kind = rng.choices(["signal.changed", "preview.posted", "reminder.fired"], [0.85, 0.08, 0.07])[0]
        if kind == "signal.changed":
            state = rng.choice(STATES)
            data = {
                "user": user.pk,
                "state": state,
                "note": "a note" if rng.random() < 0.3 else "",
                "set_at": at.isoformat(),
                "red_on": state == "red",
            }
            if user.pk in open_span:
                open_span[user.pk].ended_at = at
            span = SignalSpan(couple=couple, user=user, state=state, started_at=at)
            spans.append(span)
            open_span[user.pk] = span
        elif kind == "preview.posted":
            data = {"user": user.pk, "preview": {"message": "out for a while"}}
            previews.append(
                Preview(
                    couple=couple,
                    user=user,
                    message="out for a while",
                    created_at=at,
                    cleared_at=at + timedelta(hours=2),
                    ended_by=rng.choice(["reunion", "cleared"]),
                )
            )
        else:
            data = {"block": {"id": 1, "kind": "connection", "name": "Dinner"}, "reminder": "start"}
            user = None
        events.append(Event(couple=couple, seq=i + 1, kind=kind, actor=user, at=at, data=data))
    Event.objects.bulk_create(events, batch_size=2000)
    SignalSpan.objects.bulk_create(spans, batch_size=2000)
    Preview.objects.bulk_create(previews, batch_size=2000)
    Couple.objects.filter(pk=couple.pk).update(seq=EVENTS, push_seq=EVENTS)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return alice, couple


def timed(fn, rounds=ROUNDS) -> list[float]:
    fn()  # warm
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def floor_query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def main() -> int:
    if connection.vendor != "postgresql":
        print("bench.history needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    settings.ALLOWED_HOSTS = ["testserver"]
    now = datetime.now(UTC)
    built = time.perf_counter()
    alice, couple = build_year(now)
    print(
        f"built a year: {Event.objects.filter(couple=couple).count()} events, "
        f"{SignalSpan.objects.filter(couple=couple).count()} spans in {time.perf_counter() - built:.1f} s"
    )
    client = APIClient()
    client.force_authenticate(alice)

    def get(path):
        def call():
            response = client.get(path)
            assert response.status_code == 200, response.content

        return call

    today = now.date().isoformat()
    cases = [
        ("floor: SELECT 1 round trip", floor_query),
        ("summary, this week", get(f"/api/history/summary/?period=week&date={today}")),
        ("summary, this month", get(f"/api/history/summary/?period=month&date={today}")),
        (
            "summary, a busy month a year ago",
            get(f"/api/history/summary/?period=month&date={(now - timedelta(days=340)).date()}"),
        ),
        ("timeline, first page (50)", get("/api/history/")),
        ("timeline, reds of one partner", get(f"/api/history/?kind=signal.changed&partner={alice.pk}")),
        ("timeline, page 100 by cursor", get(f"/api/history/?cursor={EVENTS - 5000}")),
        ("history page (HTML, charts)", None),
    ]
    from django.test import Client

    browser = Client()
    browser.force_login(alice)
    cases[-1] = ("history page (HTML, charts)", lambda: browser.get("/history/"))
    results = []
    for name, fn in cases:
        samples = timed(fn)
        results.append(
            (name, statistics.median(samples), statistics.quantiles(samples, n=20)[18], max(samples))
        )
    floor = results[0][1]
    lines = [
        f"History on PostgreSQL: one couple, {EVENTS} events over a year, {ROUNDS} rounds each, "
        "through the Django request path (no network). Ratios are to the floor (a SELECT 1 "
        "round trip) measured in the same run.",
        "",
        "| what | p50 ms | p95 ms | max ms | p50 / floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, p50, p95, top in results:
        lines.append(f"| {name} | {p50:.2f} | {p95:.2f} | {top:.2f} | {p50 / floor:.0f}x |")
    report(lines)
    slow = [name for name, p50, p95, _ in results[1:] if p95 >= 100]
    if slow:
        print(f"over 100 ms at p95: {slow}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
