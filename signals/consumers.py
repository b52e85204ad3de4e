"""The live socket: one per device, listening to its couple's event log.

Frames out: snapshot, event, heartbeat, ack (a retried write), error. Frames in: signal.set,
signal.answer, ping.
The database is the truth; the doorbell (couples.bell) only rings, so every path
(doorbell, heartbeat, ping) delivers by seq: nothing twice, no gap.
"""

import asyncio
import json
import time
import uuid
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils import translation

from couples.bell import bell_listen, bell_unlisten
from couples.rates import write_wait_async
from couples.services import (
    CLOSE_NOT_PAIRED,
    CLOSE_UNAUTHORIZED,
    NotPaired,
    ServiceError,
    auth_key,
    login_of_session,
    user_group,
)
from couples.text import text_problem
from signals import inloop, services, sockets
from signals.words import WORDS

CLOSE_TOO_MANY = 4429


def _int_param(scope, name: str) -> int | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    if not values:
        return None
    try:
        return int(values[0])
    except ValueError:
        return None


def _resume_point(scope, couple_id: int) -> int | None:
    """The seq to resume after, or None for a snapshot. A garbled `after`, or one that
    belongs to another couple (a phone re-paired while offline), starts over."""
    couple = _int_param(scope, "couple")
    if couple is not None and couple != couple_id:
        return None
    return _int_param(scope, "after")


@database_sync_to_async
def _active_couple_id(user) -> int | None:
    couple = user.active_couple()
    return couple.pk if couple else None


class CoupleConsumer(AsyncWebsocketConsumer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.socket_id = uuid.uuid4().hex
        self.couple_id = None
        self.last_seq = 0
        self.closed = False
        self.started = False
        # The doorbell, heartbeats and pings all send events; one at a time keeps seq order.
        self.lock = asyncio.Lock()
        self.registered = False
        self.cleaned_up = False
        self.tokens = float(settings.PORCHLIGHT["WS_FRAME_BURST"])
        self.refilled_at = time.monotonic()

    async def __call__(self, scope, receive, send):
        async def send_unless_gone(message):
            # A client may close while a reply is on its way: the server then raises
            # (uvicorn's ClientDisconnected, an OSError). The socket is simply gone;
            # its disconnect message follows, and the cleanup below runs regardless.
            if self.closed and message["type"] != "websocket.close":
                return
            try:
                await send(message)
            except OSError:
                self.closed = True

        try:
            await super().__call__(scope, receive, send_unless_gone)
        finally:
            await self.cleanup()

    async def connect(self):
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            return await self.refuse("unauthorized", CLOSE_UNAUTHORIZED)
        # Error frames in the person's language: every later handler runs in this
        # consumer's task (and the database thread copies its context).
        translation.activate(self.user.language)
        if not await sockets.socket_register(self):
            return await self.refuse("too_many_sockets", CLOSE_TOO_MANY)
        self.registered = True
        self.couple_id = await _active_couple_id(self.user)
        if self.couple_id is None:
            return await self.refuse("not_paired", CLOSE_NOT_PAIRED)
        # The login the socket rides on (a ticket's, or the cookie's session): the socket
        # lives only as long as it does.
        self.login = self.scope.get("login") or login_of_session(self.scope["session"].session_key)
        self.auth_key = auth_key(self.login)
        # Listen before reading the log: whatever commits after the read rings here. The
        # doorbell rings in tasks of its own, so a ring that comes meanwhile waits for
        # this lock until the read has set last_seq (else it would fill its "gap" from 0).
        async with self.lock:
            for name in self.bell_names:
                await bell_listen(name, self)
            await self.accept()
            try:
                frames, seq = await database_sync_to_async(services.socket_start)(
                    user=self.user,
                    couple_id=self.couple_id,
                    after=_resume_point(self.scope, self.couple_id),
                    replay_max=settings.PORCHLIGHT["REPLAY_MAX_EVENTS"],
                )
            except NotPaired:
                return await self.refuse("not_paired", CLOSE_NOT_PAIRED, accepted=True)
            for frame in frames:
                await self.send_frame(frame)
            # Resuming up to date sends no frame, yet the socket is at the couple's seq.
            self.last_seq = seq
        sockets.socket_started(self)

    async def dispatch(self, message):
        # Channels first hops to the database thread to close stale connections before
        # every handler, a frame from the phone included. Every database call here runs
        # through database_sync_to_async, which does that itself in that thread: the
        # extra hop cost CPU on every tap and made it wait behind other sockets' writes
        # twice (docs/benchmarks.md).
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def refuse(self, code: str, close_code: int, accepted: bool = False):
        # Accept first so that the client learns why (a close before accept is a bare 403).
        if not accepted:
            await self.accept()
        await self.send_error(code)
        await self.close_with(close_code)

    async def close_with(self, code: int):
        if not self.closed:
            self.closed = True
            await self.close(code=code)

    async def disconnect(self, code):
        await self.cleanup()

    async def cleanup(self):
        """Give back the socket's slot, listeners and heartbeat: once, however it ended."""
        self.closed = True
        if self.cleaned_up:
            return
        self.cleaned_up = True
        if self.registered:
            await sockets.socket_unregister(self)
        if self.couple_id is None:
            return
        for name in self.bell_names:
            bell_unlisten(name, self)

    @property
    def bell_names(self) -> tuple[str, str]:
        return (f"couple.{self.couple_id}", user_group(self.user.pk))

    # Sending, by seq

    async def send_frame(self, frame: dict):
        if frame["type"] in ("event", "snapshot"):
            self.last_seq = frame["seq"]
        await self.send(text_data=json.dumps(frame, separators=(",", ":")))
        if frame["type"] == "event" and frame["kind"] == "partner.left":
            await self.close_with(CLOSE_NOT_PAIRED)

    async def send_error(self, code: str, detail=None, **extra):
        detail = detail if detail is not None else str(WORDS.get(code, code))
        await self.send(text_data=json.dumps({"type": "error", "code": code, "detail": detail, **extra}))

    async def deliver(self, frame: dict):
        """Send one event, first filling any gap before it from the log. Hold self.lock."""
        if self.closed or frame["seq"] <= self.last_seq:
            return
        if frame["seq"] > self.last_seq + 1:
            await self.catch_up(frame["seq"] - 1)
        if not self.closed and frame["seq"] > self.last_seq:
            await self.send_frame(frame)

    async def catch_up(self, upto: int):
        missing = await database_sync_to_async(services.events_between)(
            couple_id=self.couple_id, after=self.last_seq, upto=upto
        )
        for frame in missing:
            if self.closed:
                return
            await self.send_frame(frame)

    @property
    def listener(self) -> tuple[int, int, str]:
        return (self.user.pk, self.couple_id, self.login)

    async def heartbeat(self):
        """A heartbeat of this socket alone (a ping, a resync): check, heal, say the seq."""
        latest = await database_sync_to_async(services.sockets_check)(listeners=[self.listener])
        await self.heartbeat_with(latest[self.listener])

    async def heartbeat_with(self, latest: int | str):
        """Given the couple's latest seq (or why this socket may no longer listen), heal
        any lost doorbell from the log and say the seq."""
        async with self.lock:
            if self.closed:
                return
            if latest == "unauthorized":
                return await self.refuse("unauthorized", CLOSE_UNAUTHORIZED, accepted=True)
            if latest == "not_paired":
                return await self.refuse("not_paired", CLOSE_NOT_PAIRED, accepted=True)
            if latest > self.last_seq:
                await self.catch_up(latest)
            if not self.closed:
                await self.send(text_data=json.dumps({"type": "heartbeat", "seq": self.last_seq}))

    # Frames from the client

    def within_rate(self) -> bool:
        """A token bucket per socket: a burst is fine, a flood is not."""
        now = time.monotonic()
        rate, burst = settings.PORCHLIGHT["WS_FRAMES_PER_SECOND"], settings.PORCHLIGHT["WS_FRAME_BURST"]
        self.tokens = min(burst, self.tokens + (now - self.refilled_at) * rate)
        self.refilled_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def receive(self, text_data=None, bytes_data=None):
        if self.closed:
            return
        if not self.within_rate():
            return await self.refuse("flooding", CLOSE_TOO_MANY, accepted=True)
        if text_data is None:
            return await self.send_error("binary_unsupported")
        # Counted in bytes, as the server's own limit (uvicorn's --ws-max-size) counts.
        if len(text_data.encode("utf-8", "surrogatepass")) > settings.PORCHLIGHT["WS_MAX_FRAME_BYTES"]:
            return await self.send_error("too_large")
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):
            return await self.send_error("bad_json")
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return await self.send_error("bad_frame")
        if problem := text_problem(message):
            return await self.send_error(problem)
        if message["type"] == "ping":
            return await self.heartbeat()
        if message["type"] == "signal.set":
            return await self.write(message, self.light_write, state=message.get("state"))
        if message["type"] == "signal.answer":
            return await self.write(message, services.signal_answer, reply=message.get("reply"))
        await self.send_error("unknown_type")

    async def write(self, message: dict, service, **fields):
        """A tap or an answer: its event goes to this socket at once. `service` is a
        coroutine function, or a sync service run in the database thread."""
        op_id = message.get("op_id")
        echo = {"op_id": op_id} if isinstance(op_id, str) else {}
        if (wait := await write_wait_async(user_id=self.user.pk)) is not None:
            return await self.send_error("throttled", wait=wait, **echo)
        if not asyncio.iscoroutinefunction(service):
            service = database_sync_to_async(service)
        try:
            event, created = await service(
                user=self.user, note=message.get("note", ""), op_id=op_id, **fields
            )
        except ValidationError as e:
            return await self.send_error("invalid", e.message_dict, **echo)
        except NotPaired:
            return await self.refuse("not_paired", CLOSE_NOT_PAIRED, accepted=True)
        except ServiceError as e:
            return await self.send_error(e.code, str(e.detail), **echo)
        except DatabaseError:
            return await self.send_error("unavailable", **echo)
        async with self.lock:
            # The author's own socket need not wait for the doorbell.
            await self.deliver(event.as_frame())
        if not created:
            # A retry: its event (op_id and all) went out before, perhaps before this
            # socket was open, so say here that it is done.
            await self.send(text_data=json.dumps({"type": "ack", "seq": event.seq, **echo}))

    async def light_write(self, *, user, state, note, op_id):
        """Green and yellow from the event loop on PostgreSQL (signals.inloop); a red, a
        retry and SQLite in the database thread."""
        if inloop.signal_set_in_loop_possible(state):
            try:
                event = await inloop.signal_set_in_loop(user=user, state=state, note=note, op_id=op_id)
                return event, True
            except inloop.InThread:
                pass
        return await database_sync_to_async(services.signal_set)(
            user=user, state=state, note=note, op_id=op_id
        )

    # Messages from the doorbell

    async def couple_event(self, message):
        async with self.lock:
            await self.deliver(message["event"])

    async def user_revoke(self, message):
        # Under the lock: an event rung right after (a deleted person's partner.left)
        # waits, and finds the socket closed with this code, not its own.
        async with self.lock:
            if self.closed:
                return
            if message.get("auth_key") in (None, self.auth_key):
                await self.send_error(
                    "unauthorized" if message["code"] == CLOSE_UNAUTHORIZED else "not_paired"
                )
                await self.close_with(message["code"])
