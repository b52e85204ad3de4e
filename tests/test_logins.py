"""Logging in and signing up cannot be brute-forced, nor turned against the owner:
the HTML forms are held to the API's limits, failures count per (account, address),
guesses from many addresses slow down only places the account has not logged in from,
and the client address is the socket's unless trusted proxies are configured."""

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
    assert [api_login("192.0.2.3", "guess").status_code for _ in range(10)] == [400] * 10
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
    assert guesses[:20] == [400] * 20 and set(guesses[20:]) == {429}
    assert api_login("203.0.113.200", PASSWORD).status_code == 429  # a place never seen: wait
    assert api_login(home, PASSWORD).status_code == 200
    phone.post("/accounts/logout/")
    # The phone moved to another network: its signed cookie still knows it.
    assert form_login("100.64.0.9", PASSWORD, client=phone).status_code == 302


def test_it_ignores_a_forged_forwarded_for_without_trusted_proxies(alice):
    statuses = [api_login("192.0.2.5", "guess", x_forwarded_for=f"10.0.0.{i}").status_code for i in range(11)]
    assert statuses[-1] == 429


def test_it_takes_the_address_a_trusted_proxy_saw(alice, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "127.0.0.1"
    # The client forges a header; the proxy appends the address it really saw.
    statuses = [
        api_login(proxy, "guess", x_forwarded_for=f"10.0.0.{i}, 203.0.113.50").status_code for i in range(11)
    ]
    assert statuses[-1] == 429
    assert api_login(proxy, PASSWORD, x_forwarded_for="203.0.113.51").status_code == 200
