"""Real processes for end-to-end tests: ASGI workers, a private redis-server, and a
websocket client that resumes by seq the way a phone does."""

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.db import connection
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
WS_MAX_SIZE = os.environ.get("PORCHLIGHT_WS_MAX_FRAME_BYTES", "4096")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database pytest-django made, for server processes to share."""
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout}s")


class RedisServer:
    """A private redis-server on a free port: safe to kill, unlike the machine's."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        assert self.binary, "redis-server is missing: .ci/services start installs Debian's redis-server"
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.answers, 10, "redis-server")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self):
        self.process.kill()  # SIGKILL: no goodbye to the clients
        self.process.wait(5)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.kill()


class AsgiWorker:
    """One uvicorn process serving config.asgi, as in the scaled deployment."""

    def __init__(self, *, database_url: str, redis_url: str, heartbeat: float = 1, env: dict | None = None):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="porchlight-worker-", suffix=".log", delete=False)
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "PORCHLIGHT_HEARTBEAT_SECONDS": str(heartbeat),
            "SECRET_KEY": "end-to-end-tests",
            "PORCHLIGHT_REDIS_PREFIX": f"e2e{os.getpid()}",
            # The fault tests write thousands of changes a minute for one couple; the
            # per-person budget has tests of its own (test_abuse.py).
            "PORCHLIGHT_WRITES_PER_MINUTE": "1000000",
            **(env or {}),
        }
        self.process = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        args = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1"]
        args += ["--port", str(self.port), "--no-access-log", "--log-level", "warning"]
        # As deployed (docs/deploy.md): no per-message deflate, frames cut at the app's limit.
        args += ["--no-proxy-headers", "--ws-per-message-deflate", "false", "--ws-max-size", WS_MAX_SIZE]
        self.process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)
        wait_for(self.healthy, 30, f"worker on {self.port}")

    def healthy(self) -> bool:
        assert self.process.poll() is None, self.output()
        try:
            with urllib.request.urlopen(self.base + "/healthz/", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        Path(self.log.name).unlink(missing_ok=True)


def api(worker: AsgiWorker, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        worker.base + path,
        data=json.dumps(body or {}).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class Listener:
    """A partner's phone: keeps a socket open, and on any loss reconnects (to the next
    worker, if given several) with a fresh ticket and after=<last seq>. Records every
    event it is shown."""

    def __init__(self, worker, token: str):
        self.workers = worker if isinstance(worker, list) else [worker]
        self.worker, self.token = self.workers[0], token
        self.last_seq = None
        self.events: list[dict] = []
        self.snapshots: list[dict] = []
        self.reconnects = 0
        self.stopping = False

    async def ticket(self) -> str:
        status, body = await asyncio.to_thread(api, self.worker, "/api/ws-ticket/", self.token)
        assert status == 201, body
        return body["ticket"]

    async def run(self):
        while not self.stopping:
            try:
                url = f"ws://127.0.0.1:{self.worker.port}/ws/?ticket={await self.ticket()}"
                if self.last_seq is not None:
                    url += f"&after={self.last_seq}"
                async with connect(url, origin=f"http://127.0.0.1:{self.worker.port}") as ws:
                    async for raw in ws:
                        self.take(json.loads(raw))
            except (OSError, AssertionError, Exception):
                if self.stopping:
                    return
            self.reconnects += 1
            self.worker = self.workers[self.reconnects % len(self.workers)]
            await asyncio.sleep(0.2)

    def take(self, frame: dict):
        if frame["type"] == "snapshot":
            self.snapshots.append(frame)
            self.last_seq = frame["seq"]
        elif frame["type"] == "event":
            self.events.append(frame)
            self.last_seq = frame["seq"]

    async def wait_for_seq(self, seq: int, timeout: float):
        deadline = time.monotonic() + timeout
        while (self.last_seq or 0) < seq:
            if time.monotonic() > deadline:
                raise TimeoutError(f"listener at seq {self.last_seq}, wanted {seq}")
            await asyncio.sleep(0.02)


async def listen(listener: Listener):
    """Start a phone and wait for its first frame."""
    task = asyncio.create_task(listener.run())
    deadline = time.monotonic() + 15
    while listener.last_seq is None:
        assert time.monotonic() < deadline, "listener never got its first frame"
        await asyncio.sleep(0.02)
    return task


async def stop(listener: Listener, task) -> None:
    listener.stopping = True
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


class PostgresCluster:
    """A throwaway PostgreSQL cluster on a free port (initdb/pg_ctl): safe to stop and
    restart, unlike the machine's. Runs as the postgres user when we are root."""

    def __init__(self):
        self.bin = _pg_bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="porchlight-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def _run(self, tool, *args):
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.dir)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self, mode="immediate"):
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def _pg_bin() -> Path:
    found = shutil.which("pg_ctl")
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin")) + ([Path(found).parent] if found else [])
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate.resolve() if not found else candidate
    raise AssertionError("initdb/pg_ctl are missing: install Debian's postgresql")
