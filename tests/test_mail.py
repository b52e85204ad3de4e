"""Never locked out: an optional e-mail address, confirmed by a link, and a password reset
by e-mail through Django's own form, tokens and views (couples/mail.py)."""

import email
import email.policy
import logging
import re

import pytest
from django.core import mail as django_mail
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from couples.mail import mail_send_next
from couples.models import LoginSession, OutgoingMail, User
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
        quoted-printable lines would break a long link), once the outbox is sent."""
        while mail_send_next(timezone.now()):
            pass
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
    assert len(mailbox()) == 2
    r = client_for(alice).patch("/api/me/", {"email": ""})
    assert r.json()["email"] == "" and r.json()["email_verified"] is False
    assert len(mailbox()) == 2  # no mail for a removed address
    client_for(alice).patch("/api/me/", {"email": "third@example.com"})
    client_for(alice).patch("/api/me/", {"email": ""})
    assert len(mailbox()) == 2  # nor for one removed before its mail went out


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


# The outbox: a request writes a row, the background loop sends it.


def _confirmed_directly(user, address=ADDRESS):
    User.objects.filter(pk=user.pk).update(email=address, email_verified_at=timezone.now())


def _reset(address, ip="192.0.2.40"):
    return Client().post(
        "/api/auth/password-reset/", {"email": address}, content_type="application/json", REMOTE_ADDR=ip
    )


def test_it_sends_no_mail_inside_the_request(alice, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    _confirmed_directly(alice)
    assert _reset(ADDRESS).status_code == 202
    assert client_for(alice).patch("/api/me/", {"email": "new@example.com"}).status_code == 200
    assert django_mail.outbox == []
    assert OutgoingMail.objects.count() == 2
    while mail_send_next(timezone.now()):
        pass
    assert len(django_mail.outbox) == 1  # the reset found no verified owner of ADDRESS any more
    assert django_mail.outbox[0].to == ["new@example.com"]


def test_it_does_the_same_work_for_a_known_and_an_unknown_address(alice, django_assert_num_queries):
    _confirmed_directly(alice)
    _reset("warm-up@example.com")
    for address in (ADDRESS, "nobody@example.com"):
        with django_assert_num_queries(1):  # the outbox row, and no look-up
            assert _reset(address, ip="192.0.2.41").status_code == 202


def test_it_keeps_a_mail_it_could_not_send_and_sends_it_later(alice, mailbox, monkeypatch):
    _confirmed_directly(alice)
    _reset(ADDRESS)

    def refused(*args, **kwargs):
        raise ConnectionRefusedError

    monkeypatch.setattr("couples.mail.send_mail", refused)
    assert mail_send_next(timezone.now())
    assert not mail_send_next(timezone.now())  # waiting to try again, not lost
    (waiting,) = OutgoingMail.objects.all()
    assert waiting.attempts == 1 and waiting.next_try_at > timezone.now()
    monkeypatch.undo()
    assert mail_send_next(waiting.next_try_at)
    assert OutgoingMail.objects.count() == 0
    assert "Reset your Porchlight password" in mailbox()[-1]


def test_it_gives_no_address_more_than_three_mails_an_hour(alice, bob, mailbox):
    victim = "victim@example.com"
    answers = []
    for i in range(10):  # two people, back and forth, aiming at one address
        person = (alice, bob)[i % 2]
        answers.append(client_for(person).patch("/api/me/", {"email": victim}).status_code)
        client_for(person).patch("/api/me/", {"email": ""})
    assert answers.count(200) == 3 and set(answers[3:]) == {429}
    refused = client_for(alice).patch("/api/me/", {"email": victim})
    assert refused.json()["code"] == "mail_limit"
    assert len([m for m in mailbox() if f"To: {victim}" in m]) <= 3


def test_it_gives_one_account_three_confirmations_an_hour(alice, mailbox):
    statuses = [
        client_for(alice).patch("/api/me/", {"email": f"a{i}@example.com"}).status_code for i in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    alice.refresh_from_db()
    assert alice.email == "a2@example.com"  # a refused change changes nothing


def test_it_limits_reset_mails_per_recipient(alice, mailbox):
    _confirmed_directly(alice)
    for i in range(20):
        assert _reset(ADDRESS, ip=f"198.51.100.{i}").status_code == 202
    assert len([m for m in mailbox() if "Reset your Porchlight password" in m]) == 3


def test_it_keeps_the_senders_words_out_of_a_mail_to_an_unconfirmed_address(alice, mailbox):
    alice.display_name = "WIN A PRIZE: visit evil.example now"
    alice.save()
    alice.username = "visit_evil_example"
    alice.save()
    client_for(alice).patch("/api/me/", {"email": "victim@example.com"})
    (mail,) = mailbox()
    assert "evil" not in mail and "PRIZE" not in mail
    assert mail.split("\n\n", 1)[1].startswith("Hello,")


# The owner always has a way in.


def _locked_out(generous_login_rate):
    """Strangers' wrong guesses from 20 addresses: the account waits for places it does
    not know."""
    guesses = [
        APIClient().post(
            "/api/auth/token/", {"username": "alice", "password": "guess"}, REMOTE_ADDR=f"203.0.113.{i}"
        )
        for i in range(21)
    ]
    assert guesses[-1].status_code == 429


def _password_login(ip):
    return APIClient().post(
        "/api/auth/token/", {"username": "alice", "password": "a brand new evening walk"}, REMOTE_ADDR=ip
    )


@pytest.fixture
def generous_login_rate(monkeypatch):
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "login": "1000/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def test_it_lifts_the_lock_when_the_owner_resets_the_password(alice, mailbox, generous_login_rate):
    _confirmed_directly(alice)
    _locked_out(generous_login_rate)
    _reset(ADDRESS)
    browser = Client(REMOTE_ADDR="100.64.1.1")
    page = browser.get(_link(mailbox()[-1]), follow=True)
    new = "a brand new evening walk"
    browser.post(page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert _password_login("100.64.1.1").status_code == 200  # the place of the reset
    assert _password_login("100.64.1.2").status_code == 200  # and the lock is gone


def test_it_mails_a_one_time_log_in_link_to_a_locked_out_owner(alice, mailbox, generous_login_rate):
    _confirmed_directly(alice)
    _locked_out(generous_login_rate)
    locked = Client(REMOTE_ADDR="100.64.2.1").post(
        "/accounts/login/", {"username": "alice", "password": "correct horse battery"}
    )
    assert locked.status_code == 429 and 'href="/accounts/login/link/"' in locked.content.decode()

    r = Client().post("/api/auth/login-link/", {"email": ADDRESS}, content_type="application/json")
    assert r.status_code == 202 and r.json()["detail"].startswith("If that address")
    mail = mailbox()[-1]
    assert "Your Porchlight log-in link" in mail and "alice" in mail
    link = _link(mail)

    phone = Client(REMOTE_ADDR="100.64.2.1")
    asked = phone.get(link)  # a mail scanner's fetch logs nobody in
    assert asked.status_code == 200 and "Log in as alice" in asked.content.decode()
    assert phone.get("/api/me/").status_code in (401, 403)
    assert phone.post(link).status_code == 302
    assert phone.get("/api/me/").json()["username"] == "alice"
    assert Client().post(link).status_code == 400  # once only
    again = APIClient().post(
        "/api/auth/token/",
        {"username": "alice", "password": "correct horse battery"},
        REMOTE_ADDR="100.64.2.9",
    )
    assert again.status_code == 200  # the lock is lifted


def test_it_asks_for_a_log_in_link_through_a_page_too(alice, mailbox):
    _confirmed_directly(alice)
    page = Client().post("/accounts/login/link/", {"email": ADDRESS}, follow=True)
    assert "Check your mail" in page.content.decode()
    assert "Your Porchlight log-in link" in mailbox()[-1]
    assert (
        Client().post("/accounts/login/link/", {"email": "nobody@example.com"}, follow=True).status_code
        == 200
    )
    assert len(mailbox()) == 1


def test_it_refuses_a_log_in_link_older_than_an_hour(alice, mailbox, time_machine):
    time_machine.move_to(timezone.now())
    _confirmed_directly(alice)
    Client().post("/api/auth/login-link/", {"email": ADDRESS}, content_type="application/json")
    link = _link(mailbox()[-1])
    time_machine.shift(3601)
    assert Client().post(link).status_code == 400
