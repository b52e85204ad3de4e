"""Bad input gets a clear 4xx, never a 500: dates out of range, JSON nested past
reason, text no encoder accepts (a lone surrogate), and zone names that are files in
the zoneinfo folder but not IANA zones."""

import json

import pytest
from rest_framework.test import APIClient

from tests.communicators import frame, open_socket
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/history/?from=0001-01-01",
        "/api/history/?to=9999-12-31",
        "/api/history/?from=1999-12-31&to=2026-01-01",
        "/api/history/summary/?date=0001-01-01",
        "/api/history/summary/?period=month&date=9999-12-31",
        "/api/rhythm/upcoming/?from=9999-12-31&days=31",
        "/api/rhythm/upcoming/?from=0001-01-01",
    ],
)
def test_it_refuses_a_day_out_of_range_with_a_400(couple, alice, path):
    response = client_for(alice).get(path)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_it_still_takes_days_within_range(couple, alice):
    client = client_for(alice)
    assert client.get("/api/history/?from=2000-01-01&to=2999-12-31").status_code == 200
    assert client.get("/api/history/summary/?period=month&date=2999-12-31").status_code == 200
    assert client.get("/api/rhythm/upcoming/?from=2999-12-01&days=31").status_code == 200


def raw_post(client: APIClient, path: str, body: str, method: str = "POST"):
    return client.generic(method, path, body, content_type="application/json")


def test_it_refuses_deeply_nested_json_with_a_400(couple, alice):
    body = "[" * 10_000 + "]" * 10_000
    response = raw_post(client_for(alice), "/api/signal/", body)
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/signal/", {"state": "\ud800"}),
        ("/api/signal/", {"state": "red", "note": "so \ud800 tired"}),
        ("/api/previews/", {"preset": "\udfff"}),
        (
            "/api/rhythm/blocks/",
            {"kind": "\ud800", "name": "x", "days": [1], "start": "10:00", "minutes": 30},
        ),
        ("/api/couple/settings/", {"timezone": "\ud800"}),
    ],
)
def test_it_refuses_a_lone_surrogate_with_a_400(couple, alice, path, body):
    # json.dumps writes the surrogate as the escape "\ud800", as a careless client would.
    method = "PATCH" if path == "/api/couple/settings/" else "POST"
    response = raw_post(client_for(alice), path, json.dumps(body), method)
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules", "posix/Europe/Berlin", "right/UTC"])
def test_it_takes_only_real_iana_zone_names(couple, alice, zone):
    client = client_for(alice)
    assert client.patch("/api/me/", {"timezone": zone}).status_code == 400
    assert client.patch("/api/couple/settings/", {"timezone": zone}).status_code == 400
    registered = APIClient().post(
        "/api/auth/register/",
        {"username": "zed", "password": "a long enough password", "display_name": "Zed", "timezone": zone},
    )
    assert registered.status_code == 400
    assert client.patch("/api/me/", {"timezone": "Asia/Shanghai"}).status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize(
    "sent",
    [
        '{"type": "signal.set", "state": "\\ud800"}',
        '{"type": "signal.set", "state": "red", "note": "\\udfff"}',
        '{"type": "signal.set", "state": "red", "op_id": "\\ud800"}',
        '{"type": "\\ud800"}',
        '{"\\ud800": 1, "type": "ping"}',
    ],
)
async def test_it_answers_a_lone_surrogate_in_a_frame_with_an_error_and_stays_open(couple, alice, sent):
    sock = await open_socket(alice)
    await frame(sock)
    await sock.send_to(text_data=sent)
    answer = await frame(sock)
    assert (answer["type"], answer["code"]) == ("error", "bad_text")
    await sock.send_json_to({"type": "ping"})
    assert (await frame(sock))["type"] == "heartbeat"
    await sock.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_counts_a_frames_size_in_bytes(couple, alice, settings):
    sock = await open_socket(alice)
    await frame(sock)
    limit = settings.PORCHLIGHT["WS_MAX_FRAME_BYTES"]
    note = "é" * (limit // 2)  # half as many characters as the limit, as many bytes
    await sock.send_json_to({"type": "signal.set", "state": "red", "note": note})
    assert (await frame(sock))["code"] == "too_large"
    await sock.disconnect()


# The contract says what the server does.


@pytest.mark.parametrize("language, words", [("en", "missing its CSRF token"), ("zh-hans", "CSRF")])
def test_it_answers_a_session_write_without_csrf_in_the_persons_language(couple, alice, language, words):
    alice.language = language
    alice.save()
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(alice)
    r = browser.post("/api/signal/", {"state": "red"}, format="json")
    assert r.status_code == 403
    assert r.json()["code"] == "csrf_failed" and words in r.json()["detail"]
    assert r["Content-Language"] == language


def test_it_answers_a_body_over_the_limit_with_a_json_413(couple, alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"state": "red", "note": "x" * 20_000})
    r = client_for(alice).post("/api/signal/", body, content_type="application/json")
    assert r.status_code == 413
    assert r["Content-Type"] == "application/json"
    assert r.json()["code"] == "too_large"


def test_it_answers_404_for_the_mute_of_a_block_that_is_gone(couple, alice):
    block = (
        client_for(alice)
        .post(
            "/api/rhythm/blocks/",
            {"kind": "connection", "name": "Walk", "days": [0], "start": "08:00", "minutes": 30},
            format="json",
        )
        .json()
    )
    assert client_for(alice).get(f"/api/rhythm/blocks/{block['id']}/mute/").json() == {"muted": False}
    client_for(alice).delete(f"/api/rhythm/blocks/{block['id']}/")
    r = client_for(alice).get(f"/api/rhythm/blocks/{block['id']}/mute/")
    assert r.status_code == 404 and r.json()["code"] == "block_unknown"
    assert client_for(alice).get("/api/rhythm/blocks/999999/mute/").status_code == 404
