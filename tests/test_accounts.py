import pytest
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APIRequestFactory

from couples.models import User
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

GOOD = {"username": "dana", "password": "a long quiet morning", "display_name": "Dana"}


def test_it_registers_a_person_with_name_and_timezone(anon):
    r = anon.post("/api/auth/register/", {**GOOD, "timezone": "America/New_York"}, format="json")
    assert r.status_code == 201
    assert r.json()["display_name"] == "Dana"
    assert r.json()["timezone"] == "America/New_York"
    token = r.json()["token"]
    me = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/me/")
    assert me.status_code == 200 and me.json()["username"] == "dana"
    assert "password" not in r.json()


def test_it_refuses_a_timezone_zoneinfo_does_not_know(anon):
    r = anon.post("/api/auth/register/", {**GOOD, "timezone": "Mars/Olympus"}, format="json")
    assert r.status_code == 400
    assert "timezone" in r.json()["errors"]


def test_it_refuses_a_weak_password(anon):
    r = anon.post("/api/auth/register/", {**GOOD, "password": "12345678"}, format="json")
    assert r.status_code == 400
    assert r.json()["code"] == "invalid"
    assert "non_field_errors" in r.json()["errors"] or "password" in r.json()["errors"]


def test_it_refuses_a_taken_username_without_hashing(anon, alice, monkeypatch):
    def no_hashing(*args, **kwargs):
        raise AssertionError("a taken username must be refused before hashing")

    monkeypatch.setattr(User, "set_password", no_hashing)
    r = anon.post("/api/auth/register/", {**GOOD, "username": "alice"}, format="json")
    assert r.status_code == 400
    assert "username" in r.json()["errors"]


def test_it_gives_a_token_for_good_credentials_only(anon, alice):
    r = anon.post("/api/auth/token/", {"username": "alice", "password": "correct horse battery"})
    assert r.status_code == 200
    assert Token.objects.get(user=alice).key == r.json()["token"]
    r = anon.post("/api/auth/token/", {"username": "alice", "password": "wrong"}, format="json")
    assert r.status_code == 401
    assert r.json()["code"] == "bad_credentials"


def test_it_refuses_anonymous_requests(anon):
    for path in ("/api/me/", "/api/couple/"):
        r = anon.get(path)
        assert r.status_code in (401, 403)
        assert r.json()["code"] == "not_authenticated"


def test_it_knows_a_token_and_its_whole_user_in_one_query(alice, django_assert_num_queries):
    token = Token.objects.create(user=alice)
    request = APIRequestFactory().get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    with django_assert_num_queries(1):
        user, auth = TokenAuthentication().authenticate(request)
    assert isinstance(auth, Token) and auth.key == token.key and auth.user is user
    assert auth.created == token.created
    assert user.pk == alice.pk and not user._state.adding
    fresh = User.objects.get(pk=alice.pk)
    for field in User._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(fresh, field.attname), field.name
        assert type(getattr(user, field.attname)) is type(getattr(fresh, field.attname)), field.name


def test_it_refuses_an_unknown_token_and_an_inactive_persons(alice):
    token = Token.objects.create(user=alice)
    r = APIClient(HTTP_AUTHORIZATION=f"Token {token.key[:-1]}x").get("/api/me/")
    assert r.status_code == 401 and r.json() == {"code": "authentication_failed", "detail": "Invalid token."}
    User.objects.filter(pk=alice.pk).update(is_active=False)
    r = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/me/")
    assert r.status_code == 401 and r.json()["detail"] == "User inactive or deleted."


def test_it_logs_a_browser_in_with_a_session_and_csrf(alice):
    browser = APIClient(enforce_csrf_checks=True)
    r = browser.post("/api/auth/login/", {"username": "alice", "password": "correct horse battery"})
    assert r.status_code == 403  # no CSRF token: a login CSRF is refused
    browser.get("/accounts/login/")  # sets the csrftoken cookie
    csrf = browser.cookies["csrftoken"].value
    creds = {"username": "alice", "password": "correct horse battery"}
    r = browser.post("/api/auth/login/", creds, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert r.status_code == 200
    assert browser.get("/api/me/").json()["username"] == "alice"
    # Writes with the session need the CSRF token too.
    assert browser.post("/api/couple/invite/").status_code == 403


def test_it_logs_out_and_the_token_stops_working(alice):
    token = Token.objects.create(user=alice)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.post("/api/auth/logout/").status_code == 204
    assert client.get("/api/me/").status_code == 401


def test_it_changes_the_password_and_ends_old_tokens(alice):
    old = Token.objects.create(user=alice)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {old.key}")
    r = client.post(
        "/api/auth/password/",
        {"old_password": "correct horse battery", "new_password": "another fine evening"},
        format="json",
    )
    assert r.status_code == 200
    assert client.get("/api/me/").status_code == 401
    fresh = APIClient(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    assert fresh.get("/api/me/").status_code == 200
    alice.refresh_from_db()
    assert alice.check_password("another fine evening")


def test_it_refuses_a_password_change_without_the_old_password(alice):
    client = APIClient()
    client.force_authenticate(alice)
    r = client.post(
        "/api/auth/password/", {"old_password": "nope", "new_password": "another fine evening"}, format="json"
    )
    assert r.status_code == 400
    assert "old_password" in r.json()["errors"]


def test_it_throttles_login_attempts(anon, alice):
    for _ in range(10):
        anon.post("/api/auth/token/", {"username": "alice", "password": "guess"}, format="json")
    r = anon.post("/api/auth/token/", {"username": "alice", "password": "guess"}, format="json")
    assert r.status_code == 429
    assert r.json()["code"] == "throttled"


def test_it_updates_my_display_name_and_timezone(alice):
    client = APIClient()
    client.force_authenticate(alice)
    r = client.patch("/api/me/", {"display_name": "Al", "timezone": "Australia/Sydney"}, format="json")
    assert r.status_code == 200
    r = client.patch("/api/me/", {"timezone": "Nowhere/Land"}, format="json")
    assert r.status_code == 400


def test_it_answers_the_health_check(anon):
    assert anon.get("/healthz/").json()["ok"] is True


def test_it_keeps_display_name_required(anon):
    r = anon.post(
        "/api/auth/register/", {"username": "x1", "password": "a long quiet morning"}, format="json"
    )
    assert r.status_code == 400
    assert "display_name" in r.json()["errors"]


def test_it_makes_people_with_the_helper(db):
    assert make_user("frank").display_name == "Frank"
