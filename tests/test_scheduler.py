import asyncio
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from channels.db import database_sync_to_async
from django.db import connection, transaction

from couples.models import Event
from couples.services import couple_lock, couple_settings_update, couple_unpair
from rhythms import scheduler
from rhythms import services as rhythms_services
from rhythms.models import Reminder
from rhythms.scheduler import step
from rhythms.services import block_create
from tests.communicators import frame, open_socket
from tests.conftest import make_user, pair

pytestmark = pytest.mark.django_db

DAILY = {"kind": "connection", "name": "Check-in", "days": list(range(7)), "minutes": 20}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_block(user, when: datetime, **fields):
    with time_machine.travel(when, tick=False):
        block, _ = block_create(user=user, fields={**DAILY, **fields})
    return block


def run_until(end: datetime, start: datetime, every=timedelta(minutes=5)):
    now = start
    while now <= end:
        with time_machine.travel(now, tick=False):
            while step(now):
                pass
        now += every


def fired(**filters):
    return Event.objects.filter(kind="reminder.fired", **filters).order_by("seq")


def test_it_fires_a_reminder_once_at_the_start(couple, alice):
    block = make_block(alice, utc(2026, 7, 1, 8, 0), start="12:00")  # 10:00 UTC in Berlin
    assert step(utc(2026, 7, 1, 9, 59)) is False
    assert step(utc(2026, 7, 1, 10, 0)) is True
    assert step(utc(2026, 7, 1, 10, 0, 1)) is False
    event = fired().get()
    assert event.data["block"]["id"] == block.pk and event.data["reminder"] == "start"
    assert event.data["local_start"] == "2026-07-01T12:00" and event.data["local_end"] == "2026-07-01T12:20"
    assert Reminder.objects.get(block=block, kind="start").next_fire_at == utc(2026, 7, 2, 10, 0)


def test_it_fires_the_reminder_before_too(couple, alice):
    make_block(alice, utc(2026, 7, 1, 8, 0), start="12:00", remind_before=15)
    run_until(utc(2026, 7, 1, 10, 5), start=utc(2026, 7, 1, 9, 40))
    kinds = [(e.data["reminder"], e.data["minutes_before"], e.at) for e in fired()]
    assert kinds == [("before", 15, utc(2026, 7, 1, 9, 45)), ("start", 0, utc(2026, 7, 1, 10, 0))]


@pytest.mark.parametrize(
    "zone,day,at",
    [
        ("America/New_York", date(2026, 3, 8), "02:30"),
        ("America/New_York", date(2026, 11, 1), "01:30"),
        ("Europe/Berlin", date(2026, 3, 29), "02:30"),
        ("Europe/Berlin", date(2026, 10, 25), "02:30"),
        ("Australia/Sydney", date(2026, 10, 4), "02:30"),
        ("Australia/Sydney", date(2026, 4, 5), "02:30"),
    ],
)
def test_it_fires_once_a_day_across_a_dst_change(couple, alice, zone, day, at):
    tz = ZoneInfo(zone)
    couple_settings_update(user=alice, changes={"timezone": zone})
    begin = datetime.combine(day - timedelta(days=1), time(12, 0), tzinfo=tz).astimezone(UTC)
    make_block(alice, begin, start=at)
    run_until(begin + timedelta(days=2), start=begin)
    local_days = [datetime.fromisoformat(e.data["starts_at"]).astimezone(tz).date() for e in fired()]
    assert local_days == [day, day + timedelta(days=1)]


def test_it_fires_a_reminder_a_little_late_once_after_downtime(couple, alice):
    make_block(alice, utc(2026, 7, 1, 8, 0), start="12:00")
    assert step(utc(2026, 7, 1, 10, 10)) is True  # ten minutes late: still worth it
    assert step(utc(2026, 7, 1, 10, 10)) is False
    assert fired().count() == 1


def test_it_marks_a_reminder_missed_after_an_hour_down_instead_of_a_storm(couple, alice):
    block = make_block(alice, utc(2026, 6, 28, 8, 0), start="12:00")
    # Down for days: three occurrences passed, none is sent, the next is scheduled.
    assert step(utc(2026, 7, 1, 11, 0)) is True
    assert step(utc(2026, 7, 1, 11, 0)) is False
    assert fired().count() == 0
    reminder = Reminder.objects.get(block=block, kind="start")
    assert reminder.last_missed_at == utc(2026, 6, 28, 10, 0)
    assert reminder.next_fire_at == utc(2026, 7, 2, 10, 0)


def test_it_marks_a_row_that_raises_and_steps_past_it(couple, alice, monkeypatch):
    bad = make_block(alice, utc(2026, 7, 1, 8, 0), start="12:25", name="Bad", minutes=5)
    good = make_block(alice, utc(2026, 7, 1, 8, 0), start="12:30", name="Good")
    real = rhythms_services.occurrence_dict

    def breaks_on_bad(block, *args):
        if block.pk == bad.pk:
            raise RuntimeError("broken row")
        return real(block, *args)

    monkeypatch.setattr(rhythms_services, "occurrence_dict", breaks_on_bad)
    now = utc(2026, 7, 1, 10, 31)
    while step(now):
        pass
    reminder = Reminder.objects.get(block=bad, kind="start")
    assert reminder.failures == 1 and "broken row" in reminder.last_error
    assert reminder.next_fire_at == now + timedelta(minutes=5)  # not retried in a tight loop
    assert [e.data["block"]["id"] for e in fired()] == [good.pk]
    assert not Event.objects.filter(kind="reminder.fired", data__block__id=bad.pk).exists()


def test_it_fires_a_minute_of_many_couples_in_batches(couple, alice, settings):
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "REMINDER_BATCH": 4}
    others = [pair(make_user(f"a{n}"), make_user(f"b{n}")) for n in range(5)]
    for person in [alice] + [c.partners()[0] for c in others]:
        make_block(person, utc(2026, 7, 1, 8, 0), start="12:00", remind_before=5)
    now = utc(2026, 7, 1, 10, 0)
    rounds = 0
    while step(now):
        rounds += 1
    assert rounds == 3  # 12 due (start and before, six couples), 4 a round
    for c in [couple] + others:
        kinds = [e.data["reminder"] for e in fired(couple=c)]
        assert sorted(kinds) == ["before", "start"]
        c.refresh_from_db()
        assert list(Event.objects.filter(couple=c).order_by("seq").values_list("seq", flat=True)) == list(
            range(1, c.seq + 1)
        )
    assert not Reminder.objects.filter(next_fire_at__lte=now).exists()


@pytest.mark.scaled
@pytest.mark.django_db(transaction=True)
def test_it_leaves_a_couple_held_by_an_edit_for_the_next_round(couple, alice):
    make_block(alice, utc(2026, 7, 1, 8, 0), start="12:00")
    now = utc(2026, 7, 1, 10, 0)
    held, release = threading.Event(), threading.Event()

    def edit_in_progress():
        with transaction.atomic():
            couple_lock(couple.pk)
            held.set()
            release.wait(10)
        connection.close()

    editor = threading.Thread(target=edit_in_progress)
    editor.start()
    held.wait(5)
    try:
        assert step(now) is True  # due, but not waited for
        assert fired().count() == 0
    finally:
        release.set()
        editor.join(10)
    assert step(now) is True
    assert fired().count() == 1
    assert step(now) is False


def test_it_stops_reminding_an_unpaired_couple(couple, alice):
    block = make_block(alice, utc(2026, 7, 1, 8, 0), start="12:00")
    couple_unpair(user=alice)
    step(utc(2026, 7, 1, 10, 0))
    assert fired().count() == 0
    assert Reminder.objects.get(block=block, kind="start").next_fire_at is None


@pytest.mark.django_db(transaction=True)
def test_it_stops_the_loop_between_rows_when_asked(couple, alice):
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(stop, 0.05))
    thread.start()
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()


@pytest.mark.django_db(transaction=True)
def test_it_runs_until_idle_when_asked(couple, alice):
    make_block(alice, utc(2026, 7, 1, 8, 0), start="12:00", remind_before=5)
    with time_machine.travel(utc(2026, 7, 1, 10, 1), tick=False):
        # Its own thread, as in production: the loop owns (and closes) its connection.
        thread = threading.Thread(target=scheduler.run, args=(threading.Event(), 0.05, True))
        thread.start()
        thread.join(timeout=10)
    assert fired().count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_carries_a_fired_reminder_to_the_socket(couple, alice):
    block = await database_sync_to_async(make_block)(alice, utc(2026, 7, 1, 8, 0), start="12:00")
    sock = await open_socket(alice)
    await frame(sock)
    await database_sync_to_async(step)(utc(2026, 7, 1, 10, 0))
    live = await frame(sock)
    assert live["kind"] == "reminder.fired" and live["data"]["block"]["id"] == block.pk
    await sock.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_runs_the_scheduler_inside_the_serving_process(couple, alice, settings):
    """The embedded mode: the ASGI lifespan starts the loop, so `make run` alone fires."""
    from config.asgi import lifespan

    settings.PORCHLIGHT = {
        **settings.PORCHLIGHT,
        "SCHEDULER_IN_PROCESS": True,
        "SCHEDULER_IDLE_SECONDS": 0.05,
    }
    soon = datetime.now(UTC) + timedelta(seconds=1)
    local = soon.astimezone(ZoneInfo("Europe/Berlin"))
    await database_sync_to_async(make_block)(
        alice, soon - timedelta(minutes=1), start=local.strftime("%H:%M")
    )
    await database_sync_to_async(Reminder.objects.filter(kind="start").update)(next_fire_at=soon)
    inbox, outbox = asyncio.Queue(), asyncio.Queue()
    server = asyncio.create_task(lifespan({"type": "lifespan"}, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    count = database_sync_to_async(lambda: fired().count())
    for _ in range(100):
        if await count():
            break
        await asyncio.sleep(0.05)
    await inbox.put({"type": "lifespan.shutdown"})
    assert (await asyncio.wait_for(outbox.get(), 5))["type"] == "lifespan.shutdown.complete"
    await server
    assert await count() == 1
