"""Logging in and signing up cannot be brute-forced, nor turned against the owner:
the HTML forms are held to the API's limits, failures count per (account, address),
guesses from many addresses slow down only places the account has not logged in from,
and the client address is the socket's unless trusted proxies are configured."""

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture
def generous_address_limit(monkeypatch):
    """Let one address try often, to see the per-account limits on their own. (DRF reads
    the rates into the throttle class once, at import.)"""
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "login": "1000/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def form_login(address: str, password: str, client: Client | None = None, **headers):
    client = client or Client(REMOTE_ADDR=address)
    return client.post(
        "/accounts/login/", {"username": "alice", "password": password}, REMOTE_ADDR=address, headers=headers
    )


def api_login(address: str, password: str, client: APIClient | None = None, **headers):
    client = client or APIClient()
    return client.post(
        "/api/auth/token/", {"username": "alice", "password": password}, REMOTE_ADDR=address, headers=headers
    )


def test_it_throttles_the_html_login_form_like_the_api(alice):
    statuses = [form_login("192.0.2.1", "guess").status_code for _ in range(30)]
    assert statuses[:10] == [200] * 10  # the form again, with its error
    assert set(statuses[10:]) == {429}
    response = form_login("192.0.2.1", PASSWORD)
    assert response.status_code == 429
    assert b"Please try again in 1 minute" in response.content
    assert int(response["Retry-After"]) <= 60


def test_it_throttles_the_html_signup_form(db):
    client = Client(REMOTE_ADDR="192.0.2.2")
    statuses = [
        client.post(
            "/accounts/register/", {"username": f"u{i}", "password1": "x", "password2": "y"}
        ).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]


def test_it_counts_failures_per_account_and_address(alice, bob, generous_address_limit):
    assert [api_login("192.0.2.3", "guess").status_code for _ in range(10)] == [401] * 10
    assert api_login("192.0.2.3", PASSWORD).status_code == 429  # this pair is done for a while
    assert api_login("192.0.2.4", PASSWORD).status_code == 200  # another address is not
    bobs = APIClient().post(
        "/api/auth/token/", {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="192.0.2.3"
    )
    assert bobs.status_code == 200, bobs.json()  # nor another account from this address


def test_it_lets_the_owner_log_in_while_strangers_guess_from_many_addresses(alice, generous_address_limit):
    home = "198.51.100.7"
    assert api_login(home, PASSWORD).status_code == 200  # the owner's usual place
    phone = Client()
    assert form_login("198.51.100.8", PASSWORD, client=phone).status_code == 302  # and phone
    guesses = [api_login(f"203.0.113.{i}", "guess").status_code for i in range(25)]
    assert guesses[:20] == [401] * 20 and set(guesses[20:]) == {429}
    assert api_login("203.0.113.200", PASSWORD).status_code == 429  # a place never seen: wait
    assert api_login(home, PASSWORD).status_code == 200
    phone.post("/accounts/logout/")
    # The phone moved to another network: its signed cookie still knows it.
    assert form_login("100.64.0.9", PASSWORD, client=phone).status_code == 302


def test_it_ignores_a_forged_forwarded_for_without_trusted_proxies(alice):
    statuses = [api_login("192.0.2.5", "guess", x_forwarded_for=f"10.0.0.{i}").status_code for i in range(11)]
    assert statuses[-1] == 429


@pytest.fixture
def one_proxy(settings):
    """One reverse proxy in front, at 127.0.0.1. (The middleware reads the networks when
    the handler loads its middleware: each test client builds its own.)"""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]


def test_it_takes_the_address_a_trusted_proxy_saw(alice, one_proxy):
    proxy = "127.0.0.1"
    # The client forges a header; the proxy appends the address it really saw.
    statuses = [
        api_login(proxy, "guess", x_forwarded_for=f"10.0.0.{i}, 203.0.113.50").status_code for i in range(11)
    ]
    assert statuses[-1] == 429
    assert api_login(proxy, PASSWORD, x_forwarded_for="203.0.113.51").status_code == 200


# One spelling of a name: fullwidth and mathematical letters fold to the plain name
# (NFKC) in every log-in path, every limit and at sign-up.
SPELLINGS = ["alice", "ａｌｉｃｅ", "𝐚𝐥𝐢𝐜𝐞", "𝔞𝔩𝔦𝔠𝔢", " Alice "]


def spelled_login(address: str, username: str, password: str, *, form: bool):
    if form:
        return Client().post(
            "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
        )
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


@pytest.mark.parametrize("form", [True, False], ids=["form", "api"])
def test_it_counts_every_spelling_of_a_name_as_one_account(alice, generous_address_limit, form):
    failed = 200 if form else 401
    statuses = [
        spelled_login("192.0.2.30", SPELLINGS[i % len(SPELLINGS)], "guess", form=form).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [failed] * 10 and set(statuses[10:]) == {429}
    for spelling in SPELLINGS:  # blocked here, whichever way it is written
        assert spelled_login("192.0.2.30", spelling, PASSWORD, form=form).status_code == 429, spelling


def test_it_slows_guesses_from_many_addresses_in_any_spelling(alice, generous_address_limit):
    guesses = [
        spelled_login(f"203.0.113.{i}", SPELLINGS[i % len(SPELLINGS)], "guess", form=i % 2 == 0).status_code
        for i in range(36)
    ]
    assert 429 in guesses
    assert guesses.index(429) == 20
    assert spelled_login("203.0.113.99", "ａｌｉｃｅ", PASSWORD, form=True).status_code == 429


@pytest.mark.parametrize("form", [True, False], ids=["form", "api"])
def test_it_logs_in_with_any_spelling_of_the_name(alice, form):
    response = spelled_login("192.0.2.31", "𝐚𝐥𝐢𝐜𝐞", PASSWORD, form=form)
    assert response.status_code == (302 if form else 200)


@pytest.mark.parametrize("spelling", ["ａｌｉｃｅ", "𝐚𝐥𝐢𝐜𝐞", "ALICE", "alice "])
def test_it_refuses_a_sign_up_whose_name_folds_to_a_taken_one(alice, spelling):
    r = APIClient().post(
        "/api/auth/register/",
        {"username": spelling, "password": "a long quiet morning", "display_name": "Eve"},
        format="json",
    )
    assert r.status_code == 400, r.json()
    assert r.json()["code"] == "invalid"
    assert r.json()["errors"]["username"] == ["That username is taken. Please choose another."]
    form = Client().post(
        "/accounts/register/",
        {
            "username": spelling,
            "display_name": "Eve",
            "timezone": "UTC",
            "password1": "a long quiet morning",
            "password2": "a long quiet morning",
        },
    )
    assert form.status_code == 200 and b"already exists" in form.content


def test_it_stores_a_new_name_in_its_normal_form(db):
    r = APIClient().post(
        "/api/auth/register/",
        {"username": "ｄａｎａ", "password": "a long quiet morning", "display_name": "Dana"},
        format="json",
    )
    assert r.status_code == 201 and r.json()["username"] == "dana"


def test_it_believes_forwarded_for_only_from_the_named_proxies(alice, one_proxy):
    # A client that reaches the server directly writes a fresh address in each request.
    statuses = [
        api_login("192.0.2.60", "guess", x_forwarded_for=f"203.0.113.{i}").status_code for i in range(11)
    ]
    assert statuses[-1] == 429


@pytest.mark.parametrize(
    "env, refused",
    [
        ({"PORCHLIGHT_TRUSTED_PROXIES": "1"}, "PORCHLIGHT_TRUSTED_PROXY_IPS"),
        ({"PORCHLIGHT_TRUSTED_PROXIES": "1", "PORCHLIGHT_TRUSTED_PROXY_IPS": "*"}, "is not an address"),
        ({"PORCHLIGHT_TRUSTED_PROXIES": "1", "PORCHLIGHT_TRUSTED_PROXY_IPS": "10.0.0.2, 10.1.0.0/16"}, None),
    ],
)
def test_it_refuses_to_start_with_proxies_but_no_addresses(env, refused):
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
    )
    if refused is None:
        assert run.returncode == 0, run.stderr
    else:
        assert run.returncode != 0 and refused in run.stderr


@pytest.mark.parametrize(
    "path, form",
    [
        ("/accounts/login/", {"username": "alice", "password": PASSWORD}),
        ("/accounts/password-reset/", {"email": "alice@example.com"}),
        ("/accounts/login/link/", {"email": "alice@example.com"}),
        ("/accounts/register/", {"username": "eve", "password1": "x", "password2": "x"}),
    ],
)
def test_it_answers_a_page_in_the_apps_style_while_redis_is_down(alice, settings, path, form):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    r = Client().post(path, form)
    assert r.status_code == 503
    assert "Porchlight is briefly unavailable" in r.content.decode()
    assert r["Retry-After"] == "30"
    api = APIClient().post("/api/auth/token/", {"username": "alice", "password": PASSWORD})
    assert api.status_code == 503 and api.json()["code"] == "unavailable"
