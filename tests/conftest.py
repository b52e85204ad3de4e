import os

import pytest
from django.db import connection
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from couples import services
from couples.models import User


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2 at Django 6.1's cost is ~0.6 s a hash; tests do not need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _scaled_needs_real_services(request):
    """A scaled test runs on PostgreSQL and Redis or fails; it never skips."""
    if request.node.get_closest_marker("scaled") is None:
        return
    if not os.environ.get("REDIS_URL"):
        pytest.fail("this test needs Redis: set REDIS_URL (make test-scaled does)")
    request.getfixturevalue("django_db_blocker")
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL: set DATABASE_URL (make test-scaled does)")


@pytest.fixture(autouse=True)
def _default_language_after():
    # A request leaves its reader's language on for the thread (as Django's own do):
    # each test starts in the default language, whoever the last one served.
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters live in the cache; each test starts with a clean slate.
    from django.core.cache import cache

    cache.clear()


def make_user(username: str, **extra) -> User:
    extra.setdefault("display_name", username.capitalize())
    extra.setdefault("timezone", "Europe/Berlin")
    return User.objects.create_user(username=username, password="correct horse battery", **extra)


def pair(a: User, b: User):
    invite = services.invite_create(user=a)
    return services.couple_join(user=b, code=invite.code)


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def charlie(db):
    return make_user("charlie")


@pytest.fixture
def couple(alice, bob):
    return pair(alice, bob)


@pytest.fixture
def tokens(couple, alice, bob) -> tuple[str, str]:
    """API tokens of the couple, for tests that talk to real server processes."""
    return Token.objects.create(user=alice).key, Token.objects.create(user=bob).key


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture(scope="session", autouse=True)
def _end_stray_database_sessions(django_db_setup, django_db_blocker):
    """Threads that served async tests (asgiref's executors) keep their own PostgreSQL
    connections; end them before the test database is dropped."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def service(settings):
    """The project's local Web Push service (tests/pushservice.py): it decrypts what it is sent."""
    from tests.pushservice import PushService

    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "PUSH_ALLOW_LOCAL": True, "PUSH_TIMEOUT_SECONDS": 1}
    running = PushService()
    yield running
    running.close()
