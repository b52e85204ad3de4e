"""Tap benchmark: what one light change costs in-process, on PostgreSQL.

The same tap written two ways on one connection: `signal_set` as deployed (one statement,
the function porchlight_light_set, between BEGIN and COMMIT), and its ORM form
(`_light_set`: the couple locked, the light, its spans and event_append, as every other
write and as on SQLite: six statements between BEGIN and COMMIT). Each
is timed `BENCH_TAP_ROUNDS` times after a warm-up; CPU is this process's. The last
column is the CPU the writes alone would take at 800 taps a second, the rate that the
load benchmark's zero-loss target reaches, on a machine of two cores that also runs
PostgreSQL, Redis and the client.

    make bench-tap      (or: DATABASE_URL=postgres://… python -m bench.tap)
"""

import itertools
import os
import statistics
import sys
import time

import django

from bench import report

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from couples.models import User  # noqa: E402
from couples.services import couple_join, invite_create  # noqa: E402
from signals import services  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_TAP_ROUNDS", "500"))
RATE = 800


def couple() -> User:
    call_command("migrate", verbosity=0)
    User.objects.filter(username__startswith="bench-tap-").delete()
    alice = User.objects.create_user("bench-tap-alice", password=None)
    bob = User.objects.create_user("bench-tap-bob", password=None)
    couple_join(user=bob, code=invite_create(user=alice).code)
    return alice


def main() -> int:
    if connection.vendor != "postgresql":
        print("bench.tap needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    alice = couple()
    ops = (f"bench-tap-{n}" for n in itertools.count())
    states = itertools.cycle(["green", "yellow"])

    def deployed():
        services.signal_set(user=alice, state=next(states), note="back at ten", op_id=next(ops))

    def orm():
        with transaction.atomic():
            services._light_set(user=alice, state=next(states), note="back at ten", op_id=next(ops))

    lines = [
        "| tap | CPU p50 ms | wall p50 ms | CPU s/s at 800/s |",
        "|---|---:|---:|---:|",
    ]
    for name, tap in (("signal_set (porchlight_light_set)", deployed), ("ORM and event_append", orm)):
        for _ in range(50):
            tap()
        cpu, wall = [], []
        for _ in range(ROUNDS):
            c, w = time.process_time(), time.perf_counter()
            tap()
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - w)
        c, w = statistics.median(cpu) * 1000, statistics.median(wall) * 1000
        lines.append(f"| {name} | {c:.2f} | {w:.2f} | {c * RATE / 1000:.2f} |")
    report(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
