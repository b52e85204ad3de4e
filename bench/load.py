"""make bench-load: the production-like deployment under load, beside its floor and its peer.

Starts on this machine (loopback only): PostgreSQL and Redis (the machine's), Porchlight
as `uvicorn --workers 2` plus `run_rhythms`; the floor (a bare ASGI websocket relay under
the same server, and a redis-py PUBLISH->SUBSCRIBE round trip); the peer (the Channels
tutorial's consumer: stock RedisChannelLayer, group_send, a DB write per message); and,
for the choice of server, Porchlight under daphne and with per-message deflate on.
Drives them with an asyncio + `websockets` client: couples with 2-3 devices each.
Bounded: every phase has a fixed length; the whole run takes about fifteen minutes.
"""

import asyncio
import functools
import gc
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = [int(n) for n in os.environ.get("BENCH_SOCKETS", "1000,5000").split(",")]
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
RATES = [int(r) for r in os.environ.get("BENCH_RATES", "10,100,300,500,800,1000").split(",")]
SUSTAIN = (
    int(os.environ.get("BENCH_SUSTAIN_RATE", "300")),
    float(os.environ.get("BENCH_SUSTAIN_SECONDS", "60")),
)
# Changes measured unloaded (20 a second over the socket, one after another over REST).
# With 100 samples a p99 was the second slowest change: two stalls of
# 11 ms put REST's p99 over 10 ms where 1,000 in a probe gave 6.3-7.8 ms.
UNLOADED_SAMPLES = int(os.environ.get("BENCH_UNLOADED_SAMPLES", "400"))
# Churn; the stalled reader longer, past the server's ping timeout (20 s + 20 s).
PHASE_SECONDS = float(os.environ.get("BENCH_PHASE_SECONDS", "20"))
STALL_SECONDS = float(os.environ.get("BENCH_STALL_SECONDS", "45"))
# After a phase, how long to wait for a backlog to arrive before the next one.
DRAIN_SECONDS = float(os.environ.get("BENCH_DRAIN_SECONDS", "30"))
# The server variants Porchlight's server was chosen from: BENCH_VARIANTS=uvicorn-deflate,daphne
VARIANTS = [v for v in os.environ.get("BENCH_VARIANTS", "").split(",") if v]
DATABASE_URL = os.environ["DATABASE_URL"]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ["PORCHLIGHT_WS_TICKET_SECONDS"] = "3600"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Couple i has partner A's phone and one or two of B's: 2.5 sockets a couple.
COUPLES = -(-max(SIZES) * 2 // 5)

import django  # noqa: E402

django.setup()

import aiohttp  # noqa: E402
import psycopg  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import InvalidHandshake  # noqa: E402

from couples.models import Couple, Event, Membership, User, WsTicket  # noqa: E402
from couples.services import login_of_token, ws_ticket_create  # noqa: E402
from rhythms.models import Block, Reminder  # noqa: E402
from signals.models import Signal, SignalSpan  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server process (and its children: uvicorn's workers)."""

    def __init__(self, name, args, env=None):
        self.name = name
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def pids(self) -> list[int]:
        pids = [self.process.pid]
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = status.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(status.parent.name))
        return pids

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Target:
    """What the client talks to: one or more servers, on one or more ports."""

    def __init__(self, name: str, servers: list[Server], ports: list[int]):
        self.name, self.servers, self.ports = name, servers, ports

    def cpu_ms(self) -> float:
        ticks = 0
        for server in self.servers:
            for pid in server.pids():
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    ticks += int(fields[11]) + int(fields[12])
                except OSError:
                    pass
        return ticks * 1000 / os.sysconf("SC_CLK_TCK")

    def rss_kib(self) -> int:
        """The serving processes' RSS (uvicorn's workers, not its idle supervisor)."""
        total = 0
        for server in self.servers:
            for pid in server.pids()[1:] or server.pids():
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
                except OSError:
                    pass
        return total

    def url(self, n: int, path: str) -> str:
        return f"ws://127.0.0.1:{self.ports[n % len(self.ports)]}{path}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.ports[0]}"

    def stop(self):
        for server in self.servers:
            server.stop()


def wait_http(port: int, path="/healthz/", timeout=60):
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1)
            return
        except Exception as e:
            if getattr(e, "code", None):
                return
            time.sleep(0.1)
    raise TimeoutError(f"port {port} did not answer")


def prepare() -> list[dict]:
    """Couples in bulk: two partners, tokens, a daily block each (for the fan-out)."""
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_message (id bigserial primary key, room text, body text,"
            " at timestamptz default now())"
        )
        cursor.execute("TRUNCATE bench_message")
    for model in (Reminder, Block, Event, SignalSpan, Signal, WsTicket, Membership, Couple, Token):
        model.objects.all().delete()
    User.objects.filter(username__startswith="b-").delete()
    users = User.objects.bulk_create(
        [
            User(username=f"b-{i}-{p}", display_name=p, timezone="UTC", password="!")
            for i in range(COUPLES)
            for p in "ab"
        ]
    )
    couples = Couple.objects.bulk_create([Couple(timezone="UTC") for _ in range(COUPLES)])
    Membership.objects.bulk_create([Membership(couple=couples[i // 2], user=u) for i, u in enumerate(users)])
    tokens = Token.objects.bulk_create([Token(user=u, key=Token.generate_key()) for u in users])
    blocks = Block.objects.bulk_create(
        [
            Block(couple=c, kind="connection", name="Bench", days=list(range(7)), start="03:00", minutes=5)
            for c in couples
        ]
    )
    Reminder.objects.bulk_create([Reminder(block=b, kind="start", next_fire_at=None) for b in blocks])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return [
        {
            "couple": couples[i].pk,
            "a": users[2 * i],
            "b": users[2 * i + 1],
            "a_token": tokens[2 * i].key,
            "devices_b": 2 if i % 2 else 1,
        }
        for i in range(COUPLES)
    ]


def tickets_for(users: list) -> list[str]:
    tokens = {t.user_id: t.key for t in Token.objects.filter(user__in=users)}
    return [ws_ticket_create(user=u, login=login_of_token(tokens[u.pk])) for u in users]


class Phone:
    """One device's socket. Records when timestamped changes and reminders arrive, and
    every seq, across reconnects."""

    def __init__(self, url, origin, user=None, couple=None):
        self.url, self.origin, self.user, self.couple = url, origin, user, couple
        self.ws = None
        self.seen: dict[str, float] = {}
        self.seqs: list[int] = []
        self.reminders = 0
        self.reminder_at = None
        self.reconnects = 0
        self.failed_opens = 0

    async def open(self, url=None):
        self.ws = await connect(url or self.url, origin=self.origin, max_queue=None, ping_interval=None)
        self.reader = asyncio.create_task(self.read(self.ws))

    async def reconnect(self, ticket: str, base: str):
        """As the app does after a network drop: a new socket resuming after its seq,
        tried again (with a fresh ticket) after a second when the server is too busy."""
        await self.ws.close()
        self.reconnects += 1
        for _ in range(5):
            after = self.seqs[-1] if self.seqs else 0
            try:
                return await self.open(f"{base}?ticket={ticket}&couple={self.couple}&after={after}")
            except (OSError, TimeoutError, InvalidHandshake):
                self.failed_opens += 1
                await asyncio.sleep(1 + random.random())
                ticket = (await asyncio.to_thread(tickets_for, [self.user]))[0]

    def stall(self):
        """Stop reading: the kernel's buffers fill and the server's writes to it block.
        The receive buffer is made small (256 KiB) but not below loopback's 64 KiB MSS:
        at 4 KiB the reopened window was never advertised, and the server's kernel only
        found it at its next zero-window probe, 16-20 s after reading resumed (0.4 s at
        256 KiB, the server closing the socket all the same; docs/benchmarks.md)."""
        sock = self.ws.transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 * 1024)
        self.ws.transport.pause_reading()

    def resume(self):
        self.ws.transport.resume_reading()

    async def read(self, ws):
        try:
            async for raw in ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                if frame.get("type") == "event":
                    self.seqs.append(frame["seq"])
                    note = frame["data"].get("note") or ""
                    if (
                        frame["kind"] == "signal.changed"
                        and frame["actor"] != self.user.pk
                        and note.startswith("t")
                    ):
                        self.seen[note] = now
                    elif frame["kind"] == "reminder.fired":
                        self.reminders += 1
                        self.reminder_at = now
                elif "message" in frame:  # the peer
                    self.seen[frame["message"]] = now
        except Exception:
            pass


class Fleet:
    """Porchlight's phones: for couple i, A's sender, B's receiver, maybe B's second."""

    def __init__(self, target: Target, plan: list[dict]):
        self.target, self.plan = target, plan
        self.senders, self.receivers, self.extra = [], [], []

    @property
    def phones(self):
        return self.senders + self.receivers + self.extra

    async def grow(self, couples: int):
        """Open the phones of the next couples, up to `couples` in all."""
        start = len(self.senders)
        new = self.plan[start:couples]
        users = [
            c[who] for c in new for who, count in (("a", 1), ("b", c["devices_b"])) for _ in range(count)
        ]
        tickets = iter(await asyncio.to_thread(tickets_for, users))
        opened = []
        for n, c in enumerate(new, start):
            phones = [
                Phone(
                    self.target.url(n + k, f"/ws/?ticket={next(tickets)}"),
                    self.target.origin,
                    c[who],
                    c["couple"],
                )
                for k, who in enumerate(["a"] + ["b"] * c["devices_b"])
            ]
            self.senders.append(phones[0])
            self.receivers.append(phones[1])
            self.extra.extend(phones[2:])
            opened.extend(phones)
        await open_all(opened)


def stats(latencies_ms: list[float]) -> dict:
    if not latencies_ms:
        return {"p50": float("nan"), "p90": float("nan"), "p99": float("nan"), "max": float("nan")}
    q = statistics.quantiles(latencies_ms, n=100) if len(latencies_ms) > 1 else latencies_ms * 99
    return {"p50": statistics.median(latencies_ms), "p90": q[89], "p99": q[98], "max": max(latencies_ms)}


async def open_all(phones, limit=64):
    gate = asyncio.Semaphore(limit)

    async def one(phone):
        async with gate:
            await phone.open()

    await asyncio.gather(*(one(p) for p in phones))


def vacuum_if_autovacuum_is_off() -> None:
    """A production PostgreSQL vacuums and analyzes a table as it is written (autovacuum),
    and the plans of signal_set's prepared statements follow the new statistics. A
    machine's may run with autovacuum off: then the statistics of the empty tables that
    prepare() left keep those plans scanning tables that grow through the run (measured:
    PostgreSQL's CPU per change tripled within a minute, docs/benchmarks.md), and the dead
    rows of every update pile up. There the bench does what autovacuum would have, before
    each phase; outside the phase, so it is not measured."""
    with psycopg.connect(DATABASE_URL, autocommit=True) as db:
        if db.execute("SHOW autovacuum").fetchone()[0] == "off":
            db.execute("VACUUM ANALYZE")


def collections_paused(phase):
    """The client is the measuring instrument: its own garbage collections are not the
    server's latency. Measured in the client (5k phones): a full collection of 180 ms,
    young ones of 7-15 ms, each delaying every frame it read meanwhile, within phases
    that the servers held. So the client collects between phases, not during them (the
    servers' own schedule is config/collector.py's, and it is measured)."""

    @functools.wraps(phase)
    async def paused(*args, **kwargs):
        gc.collect()
        gc.freeze()
        gc.disable()
        try:
            return await phase(*args, **kwargs)
        finally:
            gc.enable()

    return paused


# How far behind its schedule the client sent, every send of every phase: what of a
# row's latency was the instrument's own (a busy client sends late, and pays for it).
SENT_LATE_MS: list[float] = []


class Clock:
    """Wakes the client at a send's scheduled time. asyncio.sleep waits in epoll, whose
    timeout is whole milliseconds rounded up: it woke 0.73 ms late at the median here, and
    the latency charged from the scheduled time carried that into every row, the floor's
    too. A timerfd on the loop fires within its wake-up (0.20 ms here). Python 3.12 has no
    os.timerfd_create: there the client falls back to asyncio.sleep, and says so."""

    precise = hasattr(os, "timerfd_create")

    def __init__(self):
        self.loop = asyncio.get_running_loop()
        self.waiter = None
        if self.precise:
            self.fd = os.timerfd_create(time.CLOCK_MONOTONIC, flags=os.TFD_NONBLOCK | os.TFD_CLOEXEC)
            self.loop.add_reader(self.fd, self._fired)

    def _fired(self):
        try:
            os.read(self.fd, 8)
        except BlockingIOError:
            return
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def until(self, at: float):
        """`at` on time.perf_counter's clock, which is CLOCK_MONOTONIC on Linux."""
        delay = at - time.perf_counter()
        if delay <= 0:
            return
        if not self.precise:
            await asyncio.sleep(delay)
            return
        self.waiter = self.loop.create_future()
        os.timerfd_settime(self.fd, flags=os.TFD_TIMER_ABSTIME, initial=at)
        await self.waiter

    def close(self):
        if self.precise:
            self.loop.remove_reader(self.fd)
            os.close(self.fd)


@collections_paused
async def run_phase(senders, receivers, rate, seconds, make_frame, skip=()):
    """Open loop: sends at their scheduled times whatever the answers; latency is taken
    from the scheduled time, so a server that falls behind is charged for it. Senders
    whose index is in `skip` are left out.

    "lost" is what had not arrived 2 s after the last send; the phase then waits (up to
    DRAIN_SECONDS) for those to arrive, so that a backlog never spills into the next
    phase, and "never" counts what did not arrive even then."""
    await asyncio.to_thread(vacuum_if_autovacuum_is_off)
    sent = []
    active = [i for i in range(len(senders)) if i not in skip]
    start = time.perf_counter() + 0.2
    total = int(rate * seconds)
    clock = Clock()
    try:
        for k in range(total):
            at = start + k / rate
            await clock.until(at)
            SENT_LATE_MS.append((time.perf_counter() - at) * 1000)
            index = active[k % len(active)]
            key = f"t{k}-{random.random():.6f}"
            sent.append((index, key, at))
            asyncio.ensure_future(_send(senders[index], make_frame(key)))
    finally:
        clock.close()  # a phase that fails leaves no timer on the loop
    await asyncio.sleep(2)  # grace for the last ones
    latencies, late = [], []
    for index, key, at in sent:
        arrived = receivers[index].seen.pop(key, None)
        if arrived is None:
            late.append((index, key))
        else:
            latencies.append((arrived - at) * 1000)
    drained = time.perf_counter() + DRAIN_SECONDS
    while late and time.perf_counter() < drained:
        await asyncio.sleep(0.2)
        late = [(i, key) for i, key in late if receivers[i].seen.pop(key, None) is None]
    return {**stats(latencies), "sent": total, "lost": total - len(latencies), "never": len(late)}


async def _send(phone, frame: str):
    try:
        await phone.ws.send(frame)
    except Exception:
        pass  # a socket that is reconnecting: counted as lost unless it arrives


def signal_frame():
    counter = {"n": 0}

    def make(key):
        counter["n"] += 1
        return json.dumps({"type": "signal.set", "state": ("green", "yellow")[counter["n"] % 2], "note": key})

    return make


def chat_frame(key):
    return json.dumps({"message": key})


async def unloaded(what: str, senders, receivers, make_frame) -> dict:
    """UNLOADED_SAMPLES changes at 20 a second: every process asleep between two."""
    return {
        "what": what,
        "rate": 0,
        **await run_phase(senders, receivers, 20, UNLOADED_SAMPLES / 20, make_frame),
    }


async def rated(target: Target, what: str, senders, receivers, rate, seconds, make_frame, **kw) -> dict:
    cpu = target.cpu_ms()
    result = await run_phase(senders, receivers, rate, seconds, make_frame, **kw)
    result["cpu_ms_per_change"] = round((target.cpu_ms() - cpu) / max(result["sent"], 1), 2)
    return {"what": what, "rate": rate, **result}


async def idle_facts(target: Target, phones: int, rss_before: int, label: str) -> list[dict]:
    await asyncio.sleep(3)
    rss = target.rss_kib()
    cpu = target.cpu_ms()
    await asyncio.sleep(5)
    return [
        {"what": f"{label}: RSS per idle socket (KiB)", "value": round((rss - rss_before) / phones, 1)},
        {
            "what": f"{label}: idle CPU with all sockets open (ms/s)",
            "value": round((target.cpu_ms() - cpu) / 5, 1),
        },
    ]


def size_label(sockets: int) -> str:
    return f"{sockets / 1000:g}k sockets"


async def porchlight_matrix(target: Target, plan, sizes, rates, full: bool) -> list[dict]:
    """Porchlight at each size: idle cost, unloaded, the rates; with `full`, the REST
    path, the sustained rate, churn, a stalled reader and the reminder fan-out too."""
    rows = []
    fleet = Fleet(target, plan)
    rss_before = target.rss_kib()
    for sockets in sizes:
        couples = -(-sockets * 2 // 5)
        await fleet.grow(couples)
        label = f"{target.name}, {size_label(len(fleet.phones))}"
        rows += await idle_facts(target, len(fleet.phones), rss_before, label)
        s, r = fleet.senders, fleet.receivers
        await run_phase(s, r, 20, 3, signal_frame())  # warm-up: imports, compiled code, connections
        rows.append(await unloaded(f"{label}, ws unloaded", s, r, signal_frame()))
        if full and sockets == sizes[0]:
            rows.append(await rest_unloaded(target, plan, r))
        last = full and sockets == sizes[-1]
        # At the largest size the overloading rates come last, after the other phases.
        for rate in [rate for rate in rates if not last or rate <= SUSTAIN[0]]:
            rows.append(await rated(target, f"{label}, ws {rate}/s", s, r, rate, SECONDS, signal_frame()))
    if full:
        rate, seconds = SUSTAIN
        rows.append(
            await rated(
                target, f"{label}, ws {rate}/s for {seconds:g} s", s, r, rate, seconds, signal_frame()
            )
        )
        rows.append(await churn(target, fleet, label))
        rows += await stalled_reader(target, fleet, label)
        rows.append(await fan_out(fleet, label))
        for rate in [rate for rate in rates if rate > SUSTAIN[0]]:
            rows.append(await rated(target, f"{label}, ws {rate}/s", s, r, rate, SECONDS, signal_frame()))
    bad = sum(1 for p in fleet.phones if p.seqs != sorted(set(p.seqs)))
    rows.append({"what": f"{target.name}: sockets that saw a duplicate or out-of-order seq", "value": bad})
    closed = Counter(str(p.ws.close_code) for p in fleet.phones if p.ws.close_code is not None)
    rows.append(
        {"what": f"{target.name}: sockets the server had closed by the end (by code)", "value": dict(closed)}
    )
    for p in fleet.phones:
        await p.ws.close()
    return rows


@collections_paused
async def rest_unloaded(target: Target, plan, receivers) -> dict:
    latencies = []
    async with aiohttp.ClientSession() as http:
        for i in range(-20, UNLOADED_SAMPLES):  # the first 20 warm the REST path up, not counted
            c = plan[i % len(receivers)]
            key = f"t-rest-{i}"
            started = time.perf_counter()
            async with http.post(
                f"{target.origin}/api/signal/",
                json={"state": ("green", "yellow")[i % 2], "note": key},
                headers={"Authorization": f"Token {c['a_token']}"},
            ) as response:
                assert response.status in (200, 201), await response.text()
            for _ in range(400):
                if key in receivers[i % len(receivers)].seen:
                    break
                await asyncio.sleep(0.0005)
            arrived = receivers[i % len(receivers)].seen.pop(key, None)
            if arrived and i >= 0:
                latencies.append((arrived - started) * 1000)
    return {
        "what": f"{target.name}, REST unloaded",
        "rate": 0,
        **stats(latencies),
        "sent": UNLOADED_SAMPLES,
        "lost": UNLOADED_SAMPLES - len(latencies),
    }


async def rated_beside(background, target: Target, what: str, fleet: Fleet, rate, seconds, **kw) -> dict:
    """A rated phase of light changes while `background` (churn, a flood) runs beside it."""
    task = asyncio.ensure_future(background)
    result = await rated(target, what, fleet.senders, fleet.receivers, rate, seconds, signal_frame(), **kw)
    await task
    return result


async def churn(target: Target, fleet: Fleet, label: str, rate=100, seconds=PHASE_SECONDS) -> dict:
    """1% of the sockets reconnect every second (B's phones: a drop, then a resume by seq)
    while changes flow; a change whose phone was away arrives by replay, late, not lost."""
    per_second = max(1, len(fleet.phones) // 100)
    pool = fleet.receivers + fleet.extra
    chosen = random.sample(pool, min(len(pool), int(per_second * seconds)))
    tickets = iter(await asyncio.to_thread(tickets_for, [p.user for p in chosen]))

    async def churner():
        pending = []
        for n, phone in enumerate(chosen):
            await asyncio.sleep(1 / per_second)
            pending.append(asyncio.ensure_future(phone.reconnect(next(tickets), target.url(n, "/ws/"))))
        await asyncio.gather(*pending)

    result = await rated_beside(
        churner(), target, f"{label}, ws {rate}/s, 1% reconnecting each second", fleet, rate, seconds
    )
    await asyncio.sleep(1)
    result["reconnects"] = sum(p.reconnects for p in chosen)
    result["failed_opens"] = sum(p.failed_opens for p in chosen)
    return result


async def stalled_reader(
    target: Target, fleet: Fleet, label: str, rate=100, seconds=STALL_SECONDS
) -> list[dict]:
    """One phone stops reading while its partner keeps sending (large notes, 20/s); the
    others must not notice. Then it reads again: it must end with every event in order,
    or have been closed by the server and resume by seq."""
    victim = fleet.receivers[0]
    victim.stall()
    rss = target.rss_kib()
    note = "x" * 250

    async def flood():
        for n in range(int(20 * seconds)):
            await asyncio.sleep(1 / 20)
            await fleet.senders[0].ws.send(
                json.dumps({"type": "signal.set", "state": "yellow", "note": f"f{n}{note}"})
            )

    result = await rated_beside(
        flood(), target, f"{label}, ws {rate}/s, one phone not reading", fleet, rate, seconds, skip={0}
    )
    grown = target.rss_kib() - rss
    victim.resume()
    latest = await asyncio.to_thread(lambda: Couple.objects.get(pk=victim.couple).seq)
    waited, closed = time.perf_counter(), None
    # Up to 20 s is the figure reported; past that the phone goes on as the app would
    # (up to 60 s), so that a slow recovery is reported as slow, not counted as loss in
    # the phases after.
    while time.perf_counter() - waited < 60 and (not victim.seqs or victim.seqs[-1] < latest):
        if victim.ws.close_code is not None and closed is None:
            # Closed by the server while it did not read: resume by seq, as the app does.
            closed = victim.ws.close_code
            ticket = (await asyncio.to_thread(tickets_for, [victim.user]))[0]
            await victim.reconnect(ticket, target.url(0, "/ws/"))
        await asyncio.sleep(0.2)
    took = time.perf_counter() - waited
    caught_up = bool(victim.seqs) and victim.seqs[-1] == latest and victim.seqs == sorted(set(victim.seqs))
    if caught_up:
        outcome = f", then had every event once, in order, {took:.1f} s after reading again"
        if took > 20:
            outcome += " (NOT within 20 s)"
    else:
        outcome = ", and did NOT catch up within 60 s"
    return [
        result,
        {
            "what": f"{label}: the phone that stopped reading",
            "value": f"server RSS grew {grown / 1024:.1f} MiB while it did; "
            + (f"closed by the server ({closed}), resumed by seq" if closed else "kept open")
            + outcome,
        },
    ]


@collections_paused
async def fan_out(fleet: Fleet, label: str) -> dict:
    """Every couple's reminder due at the same moment: time until the last socket has it."""
    for p in fleet.phones:
        p.reminders, p.reminder_at = 0, None
    due = time.perf_counter()
    await asyncio.to_thread(lambda: Reminder.objects.update(next_fire_at=django_now()))
    deadline = time.perf_counter() + 20
    while time.perf_counter() < deadline and any(p.reminders == 0 for p in fleet.phones):
        await asyncio.sleep(0.02)
    got = [p for p in fleet.phones if p.reminders]
    arrivals = [(p.reminder_at - due) * 1000 for p in got]
    return {
        "what": f"{label}, reminder fan-out to every couple",
        "rate": 0,
        **stats(arrivals),
        "sent": len(fleet.phones),
        "lost": len(fleet.phones) - len(got),
        "dups": sum(p.reminders - 1 for p in got),
    }


async def floor_matrix(floor: Target, rates) -> list[dict]:
    pairs = SIZES[0] // 2
    tx = [Phone(floor.url(0, f"/relay/{i}/"), floor.origin) for i in range(pairs)]
    rx = [Phone(floor.url(0, f"/relay/{i}/"), floor.origin) for i in range(pairs)]
    rss_before = floor.rss_kib()
    await open_all(tx + rx)
    facts = await idle_facts(floor, len(tx + rx), rss_before, f"floor, {size_label(len(tx + rx))}")
    for phone in rx:
        phone.reader.cancel()
        phone.reader = asyncio.create_task(raw_reader(phone))
    await run_phase(tx, rx, 20, 2, lambda k: k)  # warm-up
    rows = [await unloaded("floor: bare ASGI relay, unloaded", tx, rx, lambda k: k)]
    for rate in rates:
        rows.append(
            await rated(floor, f"floor: bare ASGI relay, {rate}/s", tx, rx, rate, SECONDS, lambda k: k)
        )
    for p in tx + rx:
        await p.ws.close()
    rows.append({"what": "floor: redis PUBLISH->SUBSCRIBE", "rate": None, **await redis_floor()})
    return rows + facts


async def peer_matrix(peer: Target, rooms: int, rates) -> list[dict]:
    tx = [Phone(peer.url(0, f"/ws/chat/{i}/"), peer.origin) for i in range(rooms)]
    rx = [Phone(peer.url(0, f"/ws/chat/{i}/"), peer.origin) for i in range(rooms)]
    rss_before = peer.rss_kib()
    await open_all(tx + rx)
    facts = await idle_facts(peer, len(tx + rx), rss_before, f"peer, {size_label(len(tx + rx))}")
    await run_phase(tx, rx, 20, 3, chat_frame)  # warm-up
    rows = [await unloaded("peer: tutorial consumer, unloaded", tx, rx, chat_frame)]
    for rate in rates:
        rows.append(
            await rated(peer, f"peer: tutorial consumer, {rate}/s", tx, rx, rate, SECONDS, chat_frame)
        )
    for p in tx + rx:
        await p.ws.close()
    return rows + facts


async def raw_reader(phone):
    try:
        async for raw in phone.ws:
            phone.seen[raw] = time.perf_counter()
    except Exception:
        pass


async def redis_floor(samples=300) -> dict:
    client = aioredis.Redis.from_url(REDIS_URL)
    pubsub = client.pubsub()
    await pubsub.subscribe("bench-floor")
    latencies = []
    for i in range(samples):
        started = time.perf_counter()
        await client.publish("bench-floor", str(i))
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if message is not None:
                break
        latencies.append((time.perf_counter() - started) * 1000)
    await pubsub.aclose()
    await client.aclose()
    return stats(latencies)


def django_now():
    from django.utils import timezone

    return timezone.now()


# Starting the things measured


ENV = {
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "LOG_LEVEL": "ERROR",
    "PORCHLIGHT_SCHEDULER_IN_PROCESS": "false",
    "PORCHLIGHT_WS_FRAME_BURST": "100000",
    "PORCHLIGHT_WS_FRAMES_PER_SECOND": "100000",
    "PORCHLIGHT_WRITES_PER_MINUTE": "100000000",
    "SECRET_KEY": "bench-" + "x" * 50,
}


def uvicorn(name, app, workers=2, env=None, deflate=False) -> Target:
    """As deployed: per-message deflate off (docs/deploy.md); on, for the comparison."""
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "error"]
    args += ["--no-access-log", "--no-proxy-headers", "--ws-per-message-deflate", str(deflate).lower()]
    args += ["--ws-max-size", "4096"]
    if workers > 1:
        args += ["--workers", str(workers)]
    return Target(name, [Server(name, args, {**ENV, **(env or {})})], [port])


def daphne(name, app, processes=2, env=None) -> Target:
    """daphne has no --workers: two processes on two ports, the phones spread over both."""
    ports = [free_port() for _ in range(processes)]
    servers = [
        Server(
            name, [sys.executable, "-m", "daphne", "-p", str(port), "-v", "0", app], {**ENV, **(env or {})}
        )
        for port in ports
    ]
    return Target(name, servers, ports)


def porchlight(server: str) -> Target:
    name = f"porchlight {server}"
    if server == "daphne":
        return daphne(name, "config.asgi:application")
    return uvicorn(name, "config.asgi:application", deflate=server == "uvicorn-deflate")


def started(target: Target, path="/healthz/") -> Target:
    for port in target.ports:
        wait_http(port, path)
    return target


async def measure(plan) -> list[dict]:
    rows = []
    rhythms = Server(
        "run_rhythms",
        [sys.executable, "manage.py", "run_rhythms"],
        {**ENV, "PORCHLIGHT_SCHEDULER_IDLE_SECONDS": "0.2"},
    )
    try:
        main = started(porchlight("uvicorn"))
        try:
            rows += await porchlight_matrix(main, plan, SIZES, RATES, full=True)
        finally:
            main.stop()
        for variant in VARIANTS:
            other = started(porchlight(variant))
            try:
                rows += await porchlight_matrix(
                    other, plan, SIZES[:1], [r for r in RATES if r >= 100], full=False
                )
            finally:
                other.stop()
    finally:
        rhythms.stop()
    floor = started(uvicorn("floor", "bench.floor:app", workers=1), "/")
    try:
        rows += await floor_matrix(floor, RATES)
    finally:
        floor.stop()
    peer = started(
        uvicorn("peer", "bench.peer:application", env={"DJANGO_SETTINGS_MODULE": "bench.peer_settings"}),
        "/nothing/",
    )
    try:
        rows += await peer_matrix(peer, SIZES[0] // 2, RATES)
    finally:
        peer.stop()
    return rows


# The report


def ratio(value: float, reference: dict | None, key: str) -> str:
    if not reference or reference[key] != reference[key] or not reference[key]:  # missing or NaN
        return ""
    return f"{value / reference[key]:.1f}x"


def knees(figures) -> dict[str, str]:
    """Per server and size, the highest rate before the first that passes p99 50 ms or
    loses a change: a rate that holds only above a failing one is noise, not capacity."""
    rates: dict[str, list[dict]] = {}
    for r in figures:
        name, _, what = r["what"].rpartition(", ws ")
        if name.startswith("porchlight") and what.endswith("/s") and r["rate"]:
            rates.setdefault(name, []).append(r)
    knees = {}
    for name, rows in rates.items():
        held = 0
        for r in sorted(rows, key=lambda r: r["rate"]):
            if r["p99"] > 50 or r["lost"]:
                break
            held = r["rate"]
        passed = [r["rate"] for r in rows if r["rate"] > held and r["p99"] <= 50 and not r["lost"]]
        knees[name] = f"highest rate before p99 first passes 50 ms or a change is lost: {held}/s" + (
            f" (above it, held again at {', '.join(f'{rate}/s' for rate in sorted(passed))})"
            if passed
            else ""
        )
    return knees


def table(rows) -> str:
    figures = [r for r in rows if "value" not in r]
    floors = {r["rate"]: r for r in figures if r["what"].startswith("floor: bare")}
    peers = {r["rate"]: r for r in figures if r["what"].startswith("peer:")}
    lines = [
        "| what | p50 ms | p90 ms | p99 ms | max ms | sent | lost | CPU ms/change | p50 / floor | p99 / floor | p50 / peer | p99 / peer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in figures:
        floor = peer = None
        if r["what"].startswith("porchlight") and "fan-out" not in r["what"]:
            floor, peer = floors.get(r["rate"]), peers.get(r["rate"])
        lost = f"{r.get('lost', '')}"
        if r.get("lost"):
            lost += f" ({r.get('never', 0)} never)"
        if "dups" in r:
            lost += f" (dups {r['dups']})"
        if "reconnects" in r:
            lost += f" ({r['reconnects']} reconnects, {r['failed_opens']} tries timed out)"
        lines.append(
            f"| {r['what']} | {r['p50']:.2f} | {r['p90']:.2f} | {r['p99']:.2f} | {r['max']:.2f} | {r.get('sent', '')} | "
            f"{lost} | {r.get('cpu_ms_per_change', '')} | {ratio(r['p50'], floor, 'p50')} | {ratio(r['p99'], floor, 'p99')} | "
            f"{ratio(r['p50'], peer, 'p50')} | {ratio(r['p99'], peer, 'p99')} |"
        )
    facts = [f"- {r['what']}: {r['value']}" for r in rows if "value" in r]
    facts += [f"- {label}: {knee}" for label, knee in knees(figures).items()]
    return "\n".join(lines) + "\n\n" + "\n".join(facts)


def main() -> int:
    if connection.vendor != "postgresql":
        print("bench.load needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    plan = prepare()
    connection.close()
    began = time.monotonic()
    rows = asyncio.run(measure(plan))
    late = stats(SENT_LATE_MS)
    rows.append(
        {
            "what": "client: its sends behind their scheduled time, every phase (ms)",
            "value": f"p50 {late['p50']:.2f}, p99 {late['p99']:.2f}, max {late['max']:.2f}",
        }
    )
    out = table(rows)
    header = (
        f"Sizes {', '.join(size_label(s) for s in SIZES)} (couples with 2-3 devices), {SECONDS:g} s per rate, "
        f"client and servers sharing this machine's {os.cpu_count()} cores; the client's clock "
        f"{'a timerfd' if Clock.precise else 'asyncio.sleep (whole milliseconds: Python 3.12)'}; "
        f"run took {time.monotonic() - began:.0f} s.\n\n"
    )
    print(header + out)
    Path(os.environ.get("BENCH_OUT", ROOT / "var" / "bench-load.md")).write_text(header + out + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
