"""The OpenAPI schema is the contract, and the server keeps it: schemathesis, with every
check it has (`--checks all`: no 5xx, answers on schema, schema-valid requests taken,
schema-violating ones refused, documented statuses), against a real server process on
PostgreSQL + Redis, as a paired partner with something in every part of the app."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from signals.services import signal_set
from tests.servers import AsgiWorker, test_database_url

pytestmark = [pytest.mark.scaled, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

CONFIG = Path(__file__).with_name("schemathesis.toml")
# Operations that end the identity the run uses: they have tests of their own.
ENDS_THE_IDENTITY = [
    "POST /api/auth/logout/",
    "POST /api/auth/password/",
    "DELETE /api/me/",
    "DELETE /api/couple/",
]


def test_it_keeps_every_promise_of_its_openapi_schema(couple, alice, bob, tokens):
    alice_token, _ = tokens
    signal_set(user=bob, state="red", note="a long day")
    worker = AsgiWorker(
        database_url=test_database_url(),
        redis_url=os.environ["REDIS_URL"],
        env={"PORCHLIGHT_FAST_PASSWORD_HASHER": "1"},
    )
    worker.start()
    try:
        command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run"]
        command += [f"{worker.base}/api/schema/"]
        command += ["--checks", "all", "--max-examples", "10", "--generation-deterministic"]
        command += ["--header", f"Authorization: Token {alice_token}", "--no-color"]
        for name in ENDS_THE_IDENTITY:
            command += ["--exclude-name", name]
        run = subprocess.run(command, capture_output=True, text=True, timeout=540)
    finally:
        worker.stop()
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert "Test cases:" in run.stdout and "failure" not in run.stdout.split("SUMMARY")[-1]
