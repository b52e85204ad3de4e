"""Deployments sharing one Redis: each has its own prefix by default (pub/sub ignores the
database number), and none rings on a prefix another one holds."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured

from couples import bell

ROOT = Path(__file__).resolve().parent.parent


def settings_of(**env) -> dict:
    """What a process started with this environment reads from config.settings."""
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.PORCHLIGHT['REDIS_PREFIX'], settings.CACHES['default'].get('KEY_PREFIX', '')]))"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("PORCHLIGHT_REDIS_PREFIX",)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    prefix, cache = json.loads(out.stdout)
    return {"prefix": prefix, "cache": cache}


def test_it_gives_each_deployment_its_own_prefix_by_default():
    redis_url = "redis://127.0.0.1:6379/0"
    one = settings_of(DATABASE_URL="postgres://db/one", SECRET_KEY="k" * 50, REDIS_URL=redis_url)
    again = settings_of(DATABASE_URL="postgres://db/one", SECRET_KEY="k" * 50, REDIS_URL=redis_url)
    other_db = settings_of(DATABASE_URL="postgres://db/two", SECRET_KEY="k" * 50, REDIS_URL=redis_url)
    other_key = settings_of(DATABASE_URL="postgres://db/one", SECRET_KEY="j" * 50, REDIS_URL=redis_url)
    assert one == again  # every process of one deployment agrees
    assert len({one["prefix"], other_db["prefix"], other_key["prefix"]}) == 3
    assert one["cache"] == one["prefix"]  # the cache's keys are the deployment's too
    named = settings_of(DATABASE_URL="postgres://db/one", REDIS_URL=redis_url, PORCHLIGHT_REDIS_PREFIX="shop")
    assert named["prefix"] == "shop"


@pytest.mark.scaled
def test_it_refuses_to_ring_on_a_prefix_another_deployment_holds(settings):
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "REDIS_PREFIX": f"claim-test-{os.getpid()}"}
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(bell._claim_key())
    try:
        settings.DEPLOYMENT = "a" * 64
        bell.bell_claim()
        bell.bell_claim()  # the same deployment again: fine
        assert 0 < client.ttl(bell._claim_key()) <= bell.CLAIM_SECONDS
        settings.DEPLOYMENT = "b" * 64
        with pytest.raises(ImproperlyConfigured, match="Another deployment uses the Redis prefix"):
            bell.bell_claim()
    finally:
        client.delete(bell._claim_key())


@pytest.mark.scaled
@pytest.mark.django_db
def test_it_stops_a_scheduler_started_on_another_deployments_prefix(settings):
    prefix = f"claim-e2e-{os.getpid()}"
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set(f"{prefix}:deployment", "someone else", ex=60)
    try:
        run = subprocess.run(
            [sys.executable, "manage.py", "run_rhythms", "--exit-when-idle"],
            cwd=ROOT,
            env={**os.environ, "PORCHLIGHT_REDIS_PREFIX": prefix},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        client.delete(f"{prefix}:deployment")
    assert run.returncode != 0
    assert "Another deployment uses the Redis prefix" in run.stderr
