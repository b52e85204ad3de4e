"""make bench: the production-like deployment under load, beside its floor and its peer.

Starts on this machine (loopback only): PostgreSQL and Redis (the machine's), Porchlight
as `uvicorn --workers 2` plus `run_rhythms`; the floor (a bare ASGI websocket relay under
the same server, and a redis-py PUBLISH->SUBSCRIBE round trip); the peer (the Channels
tutorial's consumer: stock RedisChannelLayer, group_send, a DB write per message).
Drives them with an asyncio + `websockets` client: couples with 2-3 devices each.
Bounded: every phase has a fixed length; the whole run takes a few minutes.
"""

import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUPLES = int(os.environ.get("BENCH_COUPLES", "500"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
RATES = [int(r) for r in os.environ.get("BENCH_RATES", "10,100,300,600").split(",")]
DATABASE_URL = os.environ["DATABASE_URL"]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ["PORCHLIGHT_WS_TICKET_SECONDS"] = "3600"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import aiohttp  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from couples.models import Couple, Event, Membership, User, WsTicket  # noqa: E402
from couples.services import ws_ticket_create  # noqa: E402
from rhythms.models import Block, Reminder  # noqa: E402
from signals.models import Signal, SignalSpan  # noqa: E402


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name, args, env=None, port=None):
        self.name, self.port = name, port
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def pids(self) -> list[int]:
        """The process and its children (uvicorn's workers)."""
        pids = [self.process.pid]
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = status.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(status.parent.name))
        return pids

    def cpu_ms(self) -> float:
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
            except OSError:
                pass
        return ticks * 1000 / os.sysconf("SC_CLK_TCK")

    def rss_kib(self) -> int:
        total = 0
        for pid in self.pids()[1:] or self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def wait_http(port: int, path="/healthz/", timeout=30):
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


class Phone:
    """One device's socket. Records when timestamped changes and reminders arrive."""

    def __init__(self, url, origin, user_id=None):
        self.url, self.origin, self.user_id = url, origin, user_id
        self.ws = None
        self.seen: dict[str, float] = {}
        self.seqs: list[int] = []
        self.reminders = 0
        self.reminder_at = None

    async def open(self):
        self.ws = await connect(self.url, origin=self.origin, max_queue=None, ping_interval=None)
        self.reader = asyncio.create_task(self.read())

    async def read(self):
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                if frame.get("type") == "event":
                    self.seqs.append(frame["seq"])
                    note = frame["data"].get("note") or ""
                    if (
                        frame["kind"] == "signal.changed"
                        and frame["actor"] != self.user_id
                        and note.startswith("t")
                    ):
                        self.seen[note] = now
                    elif frame["kind"] == "reminder.fired":
                        self.reminders += 1
                        self.reminder_at = now
                elif "message" in frame:  # the peer and the floor
                    self.seen[frame["message"]] = now
        except Exception:
            pass


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


async def run_phase(senders, receivers, rate, seconds, make_frame):
    """Open loop: sends at their scheduled times whatever the answers; latency is taken
    from the scheduled time, so a server that falls behind is charged for it."""
    sent = []
    start = time.perf_counter() + 0.2
    total = int(rate * seconds)
    for k in range(total):
        at = start + k / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        index = k % len(senders)
        key = f"t{k}-{random.random():.6f}"
        sent.append((index, key, at))
        asyncio.ensure_future(senders[index].ws.send(make_frame(key)))
    await asyncio.sleep(2)  # grace for the last ones
    latencies, lost = [], 0
    for index, key, at in sent:
        arrived = receivers[index].seen.pop(key, None)
        if arrived is None:
            lost += 1
        else:
            latencies.append((arrived - at) * 1000)
    return {**stats(latencies), "sent": total, "lost": lost}


def signal_frame(state_cycle=("green", "yellow")):
    counter = {"n": 0}

    def make(key):
        counter["n"] += 1
        return json.dumps({"type": "signal.set", "state": state_cycle[counter["n"] % 2], "note": key})

    return make


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


async def measure(porch, rhythms, floor, peer, plan) -> list[dict]:
    rows = []
    origin = f"http://127.0.0.1:{porch.port}"
    # Porchlight: partner A's phone sends, partner B's phones (1 or 2) receive.
    tickets = await asyncio.to_thread(
        lambda: {
            (c["couple"], who, n): ws_ticket_create(user=c[who], auth_key="t:bench")
            for c in plan
            for who, count in (("a", 1), ("b", c["devices_b"]))
            for n in range(count)
        }
    )
    senders, receivers, extra = [], [], []
    for c in plan:
        senders.append(
            Phone(
                f"ws://127.0.0.1:{porch.port}/ws/?ticket={tickets[(c['couple'], 'a', 0)]}", origin, c["a"].pk
            )
        )
        receivers.append(
            Phone(
                f"ws://127.0.0.1:{porch.port}/ws/?ticket={tickets[(c['couple'], 'b', 0)]}", origin, c["b"].pk
            )
        )
        for n in range(1, c["devices_b"]):
            extra.append(
                Phone(
                    f"ws://127.0.0.1:{porch.port}/ws/?ticket={tickets[(c['couple'], 'b', n)]}",
                    origin,
                    c["b"].pk,
                )
            )
    rss_before = porch.rss_kib()
    phones = senders + receivers + extra
    await open_all(phones)
    await asyncio.sleep(3)
    rss_after = porch.rss_kib()
    cpu_idle_start = porch.cpu_ms()
    await asyncio.sleep(5)
    idle_cpu = (porch.cpu_ms() - cpu_idle_start) / 5
    rows.append({"what": "sockets open", "value": len(phones)})
    rows.append(
        {"what": "RSS per idle socket (KiB)", "value": round((rss_after - rss_before) / len(phones), 1)}
    )
    rows.append({"what": "idle CPU with all sockets open (ms/s)", "value": round(idle_cpu, 1)})

    # Warm-up, not measured: each worker's first requests import and compile what they use.
    await run_phase(senders, receivers, 20, 3, signal_frame())
    # Unloaded: one change at a time, websocket and REST.
    rows.append(
        {"what": "porchlight ws, unloaded", **await run_phase(senders, receivers, 20, 5, signal_frame())}
    )
    async with aiohttp.ClientSession() as http:
        latencies = []
        for i in range(-20, 100):  # the first 20 warm the REST path up and are not counted
            c = plan[i % len(plan)]
            key = f"t-rest-{i}"
            started = time.perf_counter()
            async with http.post(
                f"{origin}/api/signal/",
                json={"state": ("green", "yellow")[i % 2], "note": key},
                headers={"Authorization": f"Token {c['a_token']}"},
            ) as r:
                assert r.status in (200, 201), await r.text()
            for _ in range(200):
                if key in receivers[i % len(plan)].seen:
                    break
                await asyncio.sleep(0.0005)
            arrived = receivers[i % len(plan)].seen.pop(key, None)
            if arrived and i >= 0:
                latencies.append((arrived - started) * 1000)
        rows.append(
            {
                "what": "porchlight REST, unloaded",
                **stats(latencies),
                "sent": 100,
                "lost": 100 - len(latencies),
            }
        )
    for rate in RATES:
        cpu = porch.cpu_ms()
        result = await run_phase(senders, receivers, rate, SECONDS, signal_frame())
        result["cpu_ms_per_change"] = round((porch.cpu_ms() - cpu) / max(result["sent"], 1), 2)
        rows.append({"what": f"porchlight ws, {rate}/s open loop", **result})

    # Reminder fan-out: every couple's reminder due in the same moment.
    for r in receivers:
        r.reminders, r.reminder_at = 0, None
    due = time.perf_counter()
    await asyncio.to_thread(lambda: Reminder.objects.update(next_fire_at=django_now()))
    deadline = time.perf_counter() + 20
    while time.perf_counter() < deadline and any(r.reminders == 0 for r in receivers):
        await asyncio.sleep(0.05)
    got = [r for r in receivers if r.reminders]
    last = max((r.reminder_at for r in got), default=due)
    rows.append(
        {
            "what": "reminder fan-out to every couple",
            "p50": float("nan"),
            "p90": float("nan"),
            "p99": float("nan"),
            "max": (last - due) * 1000,
            "sent": len(receivers),
            "lost": len(receivers) - len(got),
            "dups": sum(r.reminders - 1 for r in got),
        }
    )
    gaps = sum(1 for p in phones if p.seqs and p.seqs != sorted(set(p.seqs)))
    rows.append({"what": "sockets that saw a duplicate or out-of-order seq", "value": gaps})
    for p in phones:
        await p.ws.close()

    # The floor: a bare relay, then Redis.
    pairs = min(len(plan), 200)
    floor_tx = [Phone(f"ws://127.0.0.1:{floor.port}/relay/{i}/", origin) for i in range(pairs)]
    floor_rx = [Phone(f"ws://127.0.0.1:{floor.port}/relay/{i}/", origin) for i in range(pairs)]
    await open_all(floor_tx + floor_rx)
    for phone in floor_rx:
        phone.reader.cancel()
        phone.reader = asyncio.create_task(raw_reader(phone))
    await run_phase(floor_tx, floor_rx, 20, 2, lambda k: k)  # warm-up
    rows.append(
        {
            "what": "floor: bare ASGI relay, unloaded",
            **await run_phase(floor_tx, floor_rx, 20, 5, lambda k: k),
        }
    )
    for rate in RATES:
        rows.append(
            {
                "what": f"floor: bare ASGI relay, {rate}/s",
                **await run_phase(floor_tx, floor_rx, rate, SECONDS, lambda k: k),
            }
        )
    for p in floor_tx + floor_rx:
        await p.ws.close()
    rows.append({"what": "floor: redis PUBLISH->SUBSCRIBE", **await redis_floor()})

    # The peer: the tutorial consumer.
    peer_tx = [Phone(f"ws://127.0.0.1:{peer.port}/ws/chat/{i}/", origin) for i in range(len(plan))]
    peer_rx = [Phone(f"ws://127.0.0.1:{peer.port}/ws/chat/{i}/", origin) for i in range(len(plan))]
    await open_all(peer_tx + peer_rx)
    chat = lambda k: json.dumps({"message": k})  # noqa: E731
    await run_phase(peer_tx, peer_rx, 20, 3, chat)  # warm-up
    rows.append(
        {"what": "peer: tutorial consumer, unloaded", **await run_phase(peer_tx, peer_rx, 20, 5, chat)}
    )
    for rate in RATES:
        cpu = peer.cpu_ms()
        result = await run_phase(peer_tx, peer_rx, rate, SECONDS, chat)
        result["cpu_ms_per_change"] = round((peer.cpu_ms() - cpu) / max(result["sent"], 1), 2)
        rows.append({"what": f"peer: tutorial consumer, {rate}/s", **result})
    for p in peer_tx + peer_rx:
        await p.ws.close()
    return rows


async def raw_reader(phone):
    try:
        async for raw in phone.ws:
            phone.seen[raw] = time.perf_counter()
    except Exception:
        pass


def django_now():
    from django.utils import timezone

    return timezone.now()


def ratio(row: dict, reference: dict | None) -> str:
    if not reference or reference["p50"] != reference["p50"] or not reference["p50"]:  # missing or NaN
        return ""
    return f"{row['p50'] / reference['p50']:.1f}x"


def table(rows) -> str:
    by_name = {r["what"]: r for r in rows}
    lines = [
        "| what | p50 ms | p90 ms | p99 ms | max ms | sent | lost | CPU ms/change | p50 / floor | p50 / peer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    facts = []
    for r in rows:
        if "value" in r:
            facts.append(f"- {r['what']}: {r['value']}")
            continue
        floor = peer = None
        if r["what"].startswith("porchlight ws"):
            suffix = r["what"].split(", ", 1)[1]
            floor = by_name.get(
                "floor: bare ASGI relay, "
                + ("unloaded" if suffix == "unloaded" else suffix.replace(" open loop", ""))
            )
            peer = by_name.get(
                "peer: tutorial consumer, "
                + ("unloaded" if suffix == "unloaded" else suffix.replace(" open loop", ""))
            )
        lines.append(
            f"| {r['what']} | {r['p50']:.2f} | {r['p90']:.2f} | {r['p99']:.2f} | {r['max']:.2f} | {r.get('sent', '')} | "
            f"{r.get('lost', '')}{' (dups ' + str(r['dups']) + ')' if 'dups' in r else ''} | {r.get('cpu_ms_per_change', '')} | "
            f"{ratio(r, floor)} | {ratio(r, peer)} |"
        )
    holding = [
        r
        for r in rows
        if r["what"].startswith("porchlight ws,") and "/s" in r["what"] and r["p99"] <= 50 and r["lost"] == 0
    ]
    best = max((int(r["what"].split(", ")[1].split("/")[0]) for r in holding), default=0)
    facts.append(f"- highest tested rate holding p99 <= 50 ms with zero loss: {best}/s")
    return "\n".join(lines) + "\n\n" + "\n".join(facts)


def main() -> int:
    if connection.vendor != "postgresql":
        print("bench.load needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    plan = prepare()
    env = {
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "LOG_LEVEL": "ERROR",
        "PORCHLIGHT_SCHEDULER_IN_PROCESS": "false",
        "PORCHLIGHT_WS_FRAME_BURST": "100000",
        "PORCHLIGHT_WS_FRAMES_PER_SECOND": "100000",
        "SECRET_KEY": "bench-" + "x" * 50,
    }
    py = sys.executable
    porch = Server(
        "porchlight",
        [
            py,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--port",
            str(p1 := free_port()),
            "--workers",
            "2",
            "--log-level",
            "error",
            "--no-access-log",
        ],
        env,
        p1,
    )
    rhythms = Server(
        "run_rhythms", [py, "manage.py", "run_rhythms"], {**env, "PORCHLIGHT_SCHEDULER_IDLE_SECONDS": "0.2"}
    )
    floor = Server(
        "floor",
        [
            py,
            "-m",
            "uvicorn",
            "bench.floor:app",
            "--port",
            str(p2 := free_port()),
            "--log-level",
            "error",
            "--no-access-log",
        ],
        env,
        p2,
    )
    peer = Server(
        "peer",
        [
            py,
            "-m",
            "uvicorn",
            "bench.peer:application",
            "--port",
            str(p3 := free_port()),
            "--workers",
            "2",
            "--log-level",
            "error",
            "--no-access-log",
        ],
        {**env, "DJANGO_SETTINGS_MODULE": "bench.peer_settings"},
        p3,
    )
    try:
        wait_http(p1)
        wait_http(p3, "/nothing/")
        time.sleep(1)
        rows = asyncio.run(measure(porch, rhythms, floor, peer, plan))
    finally:
        for server in (porch, rhythms, floor, peer):
            server.stop()
    out = table(rows)
    header = (
        f"{COUPLES} couples ({sum(1 + c['devices_b'] for c in plan)} sockets), {SECONDS:.0f} s per rate, "
        f"client and servers sharing this machine's {os.cpu_count()} cores.\n\n"
    )
    print(header + out)
    Path(os.environ.get("BENCH_OUT", ROOT / "var" / "bench-load.md")).write_text(header + out + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
