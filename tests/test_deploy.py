"""Deployment: production settings pass Django's deploy checks, every page carries the
security headers, /healthz tells the truth, and logs never carry what people wrote."""

import logging
import os
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from couples import bell
from rhythms.services import preview_post, reunion
from signals.services import signal_set
from tests.conftest import client_for
from tests.servers import ROOT

pytestmark = pytest.mark.django_db


def production_env(**extra) -> dict:
    return {
        **os.environ,
        "PORCHLIGHT_PRODUCTION": "true",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "porchlight.example",
        "CSRF_TRUSTED_ORIGINS": "https://porchlight.example",
        "EMAIL_URL": "smtp://porchlight:secret@mail.example:587",
        **extra,
    }


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_it_passes_the_deploy_checks_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_warns_a_production_deploy_whose_mail_goes_only_to_files():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(EMAIL_URL=""))
    assert result.returncode != 0 and "mail.E001" in result.stderr


@pytest.mark.parametrize(
    "extra,complaint",
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short"}, "too short"),
        ({"DEBUG": "true"}, "DEBUG"),
    ],
)
def test_it_refuses_to_start_production_on_an_unsafe_setting(extra, complaint):
    result = manage("check", env=production_env(**extra))
    assert result.returncode != 0 and complaint in result.stderr


def test_it_sends_security_headers_on_every_page(couple, alice):
    browser = Client()
    browser.force_login(alice)
    for path in ("/", "/accounts/login/", "/api/couple/", "/settings/"):
        r = browser.get(path)
        assert "default-src 'self'" in r["Content-Security-Policy"], path
        assert r["X-Content-Type-Options"] == "nosniff"
        assert r["Referrer-Policy"] == "same-origin"
        assert r["Cross-Origin-Opener-Policy"] == "same-origin"
        assert r["X-Frame-Options"] == "DENY"


def test_it_reports_health_of_the_database_and_channel_layer(db):
    body = Client().get("/healthz/").json()
    assert body["ok"] is True and body["database"] == "ok" and body["channel_layer"] == "ok"


def test_it_says_503_when_the_channel_layer_is_down(db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    r = Client().get("/healthz/")
    assert r.status_code == 503 and r.json()["channel_layer"] == "down"


def test_it_never_logs_notes_or_preview_text(couple, alice, bob, caplog, monkeypatch):
    def deaf(name, message):  # a doorbell failure takes the logging path too
        raise ConnectionError("redis is down")

    monkeypatch.setattr(bell, "_deliver", deaf)
    secret = "SECRET-NOTE-7731"
    with caplog.at_level(logging.DEBUG):
        signal_set(user=alice, state="red", note=secret)
        preview_post(user=alice, message=f"{secret} preview", expected_at=timezone.now() + timedelta(hours=1))
        reunion(user=alice)
        client_for(bob).post("/api/signal/", {"state": "yellow", "note": secret, "op_id": "bad op id"})
        client_for(bob).post("/api/previews/", {"message": secret + "\\x00"})
        client_for(bob).post("/api/signal/", {"state": "purple", "note": secret})
    logged = "\\n".join(
        record.getMessage() + str(record.args) + str(record.exc_info) for record in caplog.records
    )
    assert caplog.records, "the operations above log something (publish failures, 4xx)"
    assert secret not in logged


def test_it_tells_every_cache_to_keep_no_api_answer(couple, alice):
    client = client_for(alice)
    answers = [
        client.get(path)
        for path in (
            "/api/couple/",
            "/api/history/",
            "/api/me/export/?format=json",
            "/api/me/export/?format=csv",
        )
    ]
    answers += [client.post("/api/signal/", {"state": "green"}), APIClient().get("/api/couple/")]
    for answer in answers:
        assert "no-store" in answer["Cache-Control"], answer


def test_it_asks_the_browser_to_forget_this_site_on_logout(couple, alice):
    client = Client()
    client.force_login(alice)
    assert client.post("/accounts/logout/")["Clear-Site-Data"] == '"cache", "storage"'
    client.force_login(alice)
    assert client.post("/api/auth/logout/")["Clear-Site-Data"] == '"cache", "storage"'


def test_it_serves_with_the_apps_frame_limit_and_address_rule_in_every_documented_command(settings):
    """make run, the README's scaled command and docs/deploy.md's start uvicorn with the
    app's frame limit (so a huge frame is refused before it is buffered) and without
    uvicorn's own reading of X-Forwarded-For (the app's PORCHLIGHT_TRUSTED_PROXIES rules)."""
    limit = str(settings.PORCHLIGHT["WS_MAX_FRAME_BYTES"])
    commands = []
    for name in ("Makefile", "README.md", "docs/deploy.md"):
        text = (ROOT / name).read_text().replace("\\\n", " ")
        found = [line for line in text.splitlines() if "uvicorn config.asgi:application" in line]
        assert found, name
        commands += [(name, line) for line in found]
    for name, line in commands:
        assert f"--ws-max-size {limit}" in line, (name, line)
        assert "--no-proxy-headers" in line, (name, line)
