"""Never locked out: an optional e-mail address, confirmed by a link, and a password reset
by e-mail through Django's own form, tokens and views (couples/mail.py)."""

import email
import email.policy
import logging
import re

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from couples.models import LoginSession, User
from tests.conftest import client_for

# The confirmation mail leaves on commit.
pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "alice@example.com"


@pytest.fixture
def mailbox(settings, tmp_path):
    """Mail as the embedded default sends it: files in a folder (Django's file backend)."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": tmp_path},
        }
    }

    def read() -> list[str]:
        """Each mail's headers and decoded body (the file holds it as MIME, whose
        quoted-printable lines would break a long link)."""
        mails = []
        for path in sorted(tmp_path.iterdir(), key=lambda path: path.stat().st_mtime_ns):
            for raw in path.read_text().split("-" * 79):
                if raw.strip():
                    message = email.message_from_string(raw.strip(), policy=email.policy.default)
                    mails.append(
                        f"To: {message['To']}\nSubject: {message['Subject']}\n\n{message.get_content()}"
                    )
        return mails

    return read


def _link(mail: str) -> str:
    return re.search(r"https?://testserver(/\S+)", mail).group(1)


def _confirmed(user, mailbox) -> None:
    r = client_for(user).patch("/api/me/", {"email": ADDRESS})
    assert r.status_code == 200
    r = Client().get(_link(mailbox()[-1]))
    assert r.status_code == 200


def test_it_confirms_an_address_by_the_link_mailed_to_it(alice, mailbox):
    r = client_for(alice).patch("/api/me/", {"email": ADDRESS})
    assert r.status_code == 200
    assert r.json()["email"] == ADDRESS and r.json()["email_verified"] is False
    (mail,) = mailbox()
    assert f"To: {ADDRESS}" in mail and "Confirm your e-mail address" in mail
    page = Client().get(_link(mail))
    assert page.status_code == 200 and "Your address is confirmed" in page.content.decode()
    alice.refresh_from_db()  # client_for authenticates with this very object
    assert client_for(alice).get("/api/me/").json()["email_verified"] is True


def test_it_forgets_the_confirmation_when_the_address_changes(alice, mailbox):
    _confirmed(alice, mailbox)
    first_link = _link(mailbox()[-1])
    r = client_for(alice).patch("/api/me/", {"email": "new@example.com"})
    assert r.json()["email_verified"] is False
    assert "does not work" in Client().get(first_link).content.decode()  # for the old address
    r = client_for(alice).patch("/api/me/", {"email": ""})
    assert r.json()["email"] == "" and r.json()["email_verified"] is False
    assert len(mailbox()) == 2  # no mail for a removed address


def test_it_refuses_what_is_not_an_address(alice):
    r = client_for(alice).patch("/api/me/", {"email": "not an address"})
    assert r.status_code == 400 and "email" in r.json()["errors"]
    assert "does not work" in Client().get("/accounts/email/verify/forged-token/").content.decode()


def test_it_resets_a_password_by_the_mailed_link_and_ends_every_other_login(alice, mailbox):
    _confirmed(alice, mailbox)
    token = Token.objects.create(user=alice)
    other = Client()
    other.login(username="alice", password="correct horse battery")
    assert LoginSession.objects.filter(user=alice).exists()

    r = Client().post(
        "/api/auth/password-reset/", {"email": ADDRESS.upper()}, content_type="application/json"
    )
    assert r.status_code == 202
    mail = mailbox()[-1]
    assert "Reset your Porchlight password" in mail
    browser = Client()
    page = browser.get(_link(mail), follow=True)  # Django swaps the token for a session value
    assert page.status_code == 200 and "Choose a new password" in page.content.decode()
    form_url = page.redirect_chain[-1][0]
    new = "a brand new evening walk"
    done = browser.post(form_url, {"new_password1": new, "new_password2": new}, follow=True)
    assert "Your new password is set" in done.content.decode()

    assert User.objects.get(pk=alice.pk).check_password(new)
    assert not Token.objects.filter(key=token.key).exists()
    assert not LoginSession.objects.filter(user=alice).exists()
    assert other.get("/api/me/").status_code == 401
    assert browser.get(_link(mail), follow=True).content.decode().count("does not work") == 1  # used up
    assert Client().login(username="alice", password=new)


def test_it_answers_the_same_whether_or_not_an_address_has_an_account(alice, bob, mailbox):
    client_for(bob).patch("/api/me/", {"email": "bob@example.com"})  # never confirmed
    assert len(mailbox()) == 1
    answers = [
        Client().post("/api/auth/password-reset/", {"email": email}, content_type="application/json")
        for email in ("nobody@example.com", "bob@example.com")
    ]
    assert {r.status_code for r in answers} == {202}
    assert answers[0].json() == answers[1].json()
    assert len(mailbox()) == 1  # neither an unknown nor an unconfirmed address gets a mail
    page = Client().post("/accounts/password-reset/", {"email": "nobody@example.com"}, follow=True)
    assert "Check your mail" in page.content.decode()


def test_it_throttles_reset_requests_per_address(anon, settings):
    for _ in range(5):
        r = anon.post("/api/auth/password-reset/", {"email": "x@example.com"})
        assert r.status_code == 202
    r = anon.post("/api/auth/password-reset/", {"email": "y@example.com"})
    assert r.status_code == 429 and r.json()["code"] == "throttled"
    assert Client().post("/accounts/password-reset/", {"email": "x@example.com"}).status_code == 429
    assert anon.post("/api/auth/password-reset/", {"email": "no"}).status_code in (400, 429)


def test_it_never_logs_an_address(alice, mailbox, caplog):
    caplog.set_level(logging.DEBUG)
    _confirmed(alice, mailbox)
    Client().post("/api/auth/password-reset/", {"email": ADDRESS}, content_type="application/json")
    assert ADDRESS not in caplog.text


def test_it_links_the_reset_from_the_log_in_page(anon):
    page = Client().get("/accounts/login/").content.decode()
    assert 'href="/accounts/password-reset/"' in page
