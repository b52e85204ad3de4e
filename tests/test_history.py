import re
from datetime import UTC, date, datetime

import pytest
import time_machine

from couples.services import couple_settings_update, couple_unpair
from rhythms.scheduler import step
from rhythms.services import block_create, preview_clear, preview_post, reunion
from signals.history import summary
from signals.services import signal_answer, signal_set
from tests.conftest import client_for, make_user, pair
from tests.test_pages import browser_for

pytestmark = pytest.mark.django_db

H = 3600


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def at(when, action, **kwargs):
    with time_machine.travel(when, tick=False):
        return action(**kwargs)


@pytest.fixture
def march(couple, alice, bob):
    """A fortnight in Europe/Berlin around the spring-forward night of 29 March 2026."""
    couple_settings_update(user=alice, changes={"flag_threshold": 2})
    at(utc(2026, 3, 17, 12, 0), signal_set, user=alice, state="red")
    at(utc(2026, 3, 17, 12, 10), signal_set, user=alice, state="green")
    at(utc(2026, 3, 20, 10, 0), signal_set, user=alice, state="green", note="fine")
    at(utc(2026, 3, 24, 8, 0), signal_set, user=alice, state="red")  # held for one minute
    at(utc(2026, 3, 24, 8, 1), signal_set, user=alice, state="green")
    at(utc(2026, 3, 25, 10, 0), preview_post, user=alice, message="gym")
    at(utc(2026, 3, 25, 12, 0), reunion, user=alice)
    at(utc(2026, 3, 26, 9, 0), preview_post, user=bob, message="errands")
    at(utc(2026, 3, 26, 11, 0), preview_clear, user=bob)
    fields = {"kind": "connection", "name": "Dinner", "days": list(range(7)), "start": "19:00", "minutes": 30}
    at(utc(2026, 3, 27, 10, 0), block_create, user=alice, fields=fields)
    at(utc(2026, 3, 27, 18, 0), step, now=utc(2026, 3, 27, 18, 0))  # 19:00 CET
    at(utc(2026, 3, 28, 20, 0), signal_set, user=alice, state="yellow")
    at(utc(2026, 3, 29, 1, 30), signal_set, user=bob, state="red")  # 03:30 CEST, after the jump
    return couple


def partner(result, user):
    return next(p for p in result["partners"] if p["id"] == user.pk)


def test_it_sums_time_in_state_for_a_week_across_the_dst_change(march, alice, bob):
    week = summary(user=alice, period="week", day=date(2026, 3, 25), now=utc(2026, 4, 2))
    assert (week["starts_at"], week["ends_at"]) == ("2026-03-22T23:00:00+00:00", "2026-03-29T22:00:00+00:00")
    assert (week["local_start"], week["local_end"]) == ("2026-03-23", "2026-03-29")
    a = partner(week, alice)
    # Green carried in from the 20th: 33 h to the red, then 107 h 59 min after it.
    assert a["seconds_on"] == {"green": 33 * H + 107 * H + 59 * 60, "yellow": 26 * H, "red": 60.0}
    assert sum(a["seconds_on"].values()) == 167 * H  # the week that lost an hour
    assert a["lights_set"] == {"green": 1, "yellow": 1, "red": 1}
    assert (a["reds"], a["reds_previous_period"]) == (1, 1)
    assert (a["previews_posted"], a["previews_ended_in_reunion"]) == (1, 1)
    assert a["flags_raised"] == 1
    b = partner(week, bob)
    assert b["seconds_on"] == {"green": 0.0, "yellow": 0.0, "red": 20.5 * H}
    assert (b["previews_posted"], b["previews_ended_in_reunion"]) == (1, 0)
    assert week["reminders_fired"] == 1


def test_it_sums_a_month_in_the_couples_timezone(march, alice):
    month = summary(user=alice, period="month", day=date(2026, 3, 1), now=utc(2026, 4, 2))
    assert (month["starts_at"], month["ends_at"]) == (
        "2026-02-28T23:00:00+00:00",
        "2026-03-31T22:00:00+00:00",
    )
    a = partner(month, alice)
    green = (69 * H + 50 * 60) + 94 * H + (107 * H + 59 * 60)
    assert a["seconds_on"] == {"green": green, "yellow": 74 * H, "red": 660.0}
    # The note "fine" on the 20th went to a green already on: not another green.
    assert a["lights_set"] == {"green": 2, "yellow": 1, "red": 2}


def test_it_counts_an_ongoing_light_only_up_to_now(march, alice):
    week = summary(user=alice, period="week", day=date(2026, 3, 28), now=utc(2026, 3, 28, 22, 0))
    assert partner(week, alice)["seconds_on"]["yellow"] == 2 * H


def test_it_serves_the_summary_over_the_api(march, alice):
    with time_machine.travel(utc(2026, 4, 2), tick=False):
        r = client_for(alice).get("/api/history/summary/?period=week&date=2026-03-25")
    assert r.status_code == 200 and partner(r.json(), alice)["reds"] == 1
    for bad in ("?period=year", "?date=2026-02-30", "?date=soon"):
        assert client_for(alice).get("/api/history/summary/" + bad).status_code == 400


def test_it_pages_the_timeline_newest_first_stable_while_events_arrive(couple, alice, bob):
    for i in range(60):
        signal_set(user=alice if i % 2 else bob, state="green")
    client = client_for(alice)
    first = client.get("/api/history/").json()
    assert [e["seq"] for e in first["results"]] == list(range(61, 11, -1))
    signal_set(user=bob, state="red")  # arrives between pages
    second = client.get(f"/api/history/?cursor={first['next_cursor']}").json()
    assert [e["seq"] for e in second["results"]] == list(range(11, 0, -1))
    assert second["next_cursor"] is None


def test_it_filters_the_timeline_by_kind_partner_and_dates(march, alice, bob):
    client = client_for(alice)
    reds = client.get(f"/api/history/?kind=signal.changed&partner={bob.pk}").json()["results"]
    assert [e["data"]["state"] for e in reds] == ["red"]
    kinds = client.get("/api/history/?kind=preview.posted,reunion").json()["results"]
    assert [e["kind"] for e in kinds] == ["preview.posted", "reunion", "preview.posted"]  # newest first
    days = client.get("/api/history/?from=2026-03-24&to=2026-03-24&kind=signal.changed").json()["results"]
    assert len(days) == 2
    for bad in ("?kind=gossip", "?from=yesterday", "?cursor=-1"):
        assert client.get("/api/history/" + bad).status_code == 400
    assert client.get("/api/history/?partner=99999").status_code == 404  # no such partner here


def test_it_keeps_history_inside_the_couple(couple, alice, charlie):
    signal_set(user=alice, state="red", note="ours")
    assert client_for(charlie).get("/api/history/").status_code == 404
    assert client_for(charlie).get("/api/history/summary/").status_code == 404
    pair(charlie, make_user("dana"))
    assert "ours" not in str(client_for(charlie).get("/api/history/").json())


def test_it_keeps_a_read_only_archive_of_my_own_after_an_unpair(couple, alice, bob):
    signal_set(user=alice, state="yellow", note="mine")
    signal_set(user=bob, state="red", note="his")
    couple_unpair(user=bob)
    pair(bob, make_user("erin"))
    signal_set(user=bob, state="green", note="new life")
    page = client_for(alice).get("/api/history/").json()
    assert page["archive"] is True
    assert {e["actor"] for e in page["results"]} == {alice.pk}
    assert "his" not in str(page) and "new life" not in str(page)
    week = client_for(alice).get("/api/history/summary/").json()
    assert [p["id"] for p in week["partners"]] == [alice.pk]
    assert client_for(alice).post("/api/signal/", {"state": "red"}).status_code == 404  # nothing new


def test_it_answers_fast_questions_with_few_queries(march, alice, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        summary(user=alice, period="month", day=date(2026, 3, 1), now=utc(2026, 4, 2))
    with django_assert_max_num_queries(6):
        client_for(alice).get("/api/history/")


def test_it_links_the_history_page_to_older_changes_past_the_first_fifty(couple, alice, bob):
    for i in range(60):
        signal_set(user=alice, state="green" if i % 2 else "yellow", note=f"change {i}")
    page = client_for(alice)
    page.force_login(alice)
    newest = page.get("/history/").content.decode()
    assert "“change 59”" in newest and "“change 5”" not in newest and "Latest changes" in newest
    older = re.search(r'id="older" href="\?before=(\d+)#timeline"', newest)
    assert older is not None
    earlier = page.get(f"/history/?before={older.group(1)}").content.decode()
    assert "Earlier changes" in earlier and "“change 5”" in earlier and "“change 59”" not in earlier
    assert 'href="/history/#timeline">Newest' in earlier and 'id="older"' not in earlier
    assert page.get("/history/?before=nonsense").status_code == 200  # the newest page


def test_it_counts_a_red_once_however_many_notes_it_gets(couple, alice, bob):
    signal_set(user=alice, state="red")
    signal_set(user=alice, state="red", note="still here")
    signal_set(user=alice, state="red", note="and now")
    signal_answer(user=bob, reply="coming")
    week = summary(user=alice, period="week")
    assert partner(week, alice)["reds"] == 1 and partner(week, alice)["lights_set"]["red"] == 1
    page = browser_for(alice).get("/history/").text
    assert "Alice: red came on 1 time" in page
    assert "usually within a minute" in page and "within 0 min" not in page
