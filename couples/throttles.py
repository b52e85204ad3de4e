"""Limits on logging in and signing up, for the API and the HTML forms alike.

All are DRF throttles (counters in the cache: Redis when scaled), keyed by the client
address as DRF finds it: the socket's, or behind PORCHLIGHT_TRUSTED_PROXIES proxies the
address the nearest of them saw (REST_FRAMEWORK["NUM_PROXIES"]), so a forged
X-Forwarded-For cannot give one client many keys.

- every attempt, per address (`login`): one address cannot try quickly;
- failures per (account, address) (`login_failures`): guessing one account's password
  from one place stops there, and only there;
- failures per account from anywhere (`login_account`): guessing from many addresses
  slows down, but only for places the account has not logged in from: an address that
  logged in within KNOWN_DAYS, or a browser holding the signed cookie that a login
  leaves, goes on logging in. So a stranger's guesses cannot lock the owner out.
"""

import hashlib
import math

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from couples.models import username_normal

KNOWN_DAYS = 30
KNOWN_COOKIE = "porchlight_known"
KNOWN_SALT = "porchlight.login.known"


def account_digest(username) -> str | None:
    """The key an account's limits count under: its username's normal form, in any case
    (as uniqueness holds it), so that no spelling of one name has limits of its own.
    Hashed: a username may hold any character, a cache key may not."""
    if not isinstance(username, str) or not username_normal(username):
        return None
    return hashlib.sha256(username_normal(username).casefold().encode()).hexdigest()[:32]


class AddressThrottle(SimpleRateThrottle):
    """Every attempt from one address."""

    scope = "login"

    def get_cache_key(self, request, view):
        return f"throttle_{self.scope}_{self.get_ident(request)}"


class FailureThrottle(SimpleRateThrottle):
    """Counts failed attempts only: allow_request looks, failed() counts one."""

    def __init__(self, key: str):
        self.ident = key
        super().__init__()

    def get_cache_key(self, request, view):
        return f"throttle_{self.scope}_{self.ident}"

    def throttle_success(self):
        return True

    def failed(self):
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class AccountAddressFailures(FailureThrottle):
    scope = "login_failures"


class AccountFailures(FailureThrottle):
    scope = "login_account"


class LoginGuard:
    """One login attempt's limits: `wait()` before checking the password (seconds to
    wait, or None), then `failed()` or `succeeded(response)`."""

    def __init__(self, request, username):
        self.request = request
        self.account = account_digest(username)
        self.address = AddressThrottle().get_ident(request)
        self.throttles = []
        if self.account is not None:
            self.throttles.append(AccountAddressFailures(f"{self.account}_{self.address}"))
            if not self.known():
                self.throttles.append(AccountFailures(self.account))

    def _known_key(self) -> str:
        return f"login_known_{self.account}_{self.address}"

    def known(self) -> bool:
        cookie = self.request.get_signed_cookie(KNOWN_COOKIE, default=None, salt=KNOWN_SALT)
        return cookie == self.account or cache.get(self._known_key()) is not None

    def wait(self) -> int | None:
        return _wait(self.request, self.throttles)

    def failed(self) -> None:
        for throttle in self.throttles:
            throttle.failed()

    def lift(self) -> None:
        """Forget the failures counted against this account (from anywhere) and from
        this address: its owner proved who they are by a mailed link."""
        cache.delete_many([throttle.key for throttle in self._failure_throttles()])

    def _failure_throttles(self):
        if self.account is None:
            return []
        both = [AccountAddressFailures(f"{self.account}_{self.address}"), AccountFailures(self.account)]
        for throttle in both:
            throttle.key = throttle.get_cache_key(self.request, None)
        return both

    def succeeded(self, response) -> None:
        seconds = KNOWN_DAYS * 86400
        cache.set(self._known_key(), 1, seconds)
        response.set_signed_cookie(
            KNOWN_COOKIE,
            self.account,
            salt=KNOWN_SALT,
            max_age=seconds,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )


class PasswordResetThrottle(AddressThrottle):
    """Reset requests from one address, whatever the address asked about."""

    scope = "password_reset"


def password_reset_wait(request) -> int | None:
    return _wait(request, [PasswordResetThrottle()])


def address_wait(request) -> int | None:
    """Seconds this address must wait before another attempt (None: go on). The API's
    views have it as a throttle class; the HTML forms ask here."""
    return _wait(request, [AddressThrottle()])


def _wait(request, throttles) -> int | None:
    """The whole seconds to wait before the slowest of these throttles lets this request
    through, or None when all of them do."""
    waits = [t.wait() or 1 for t in throttles if not t.allow_request(request, None)]
    return math.ceil(max(waits)) if waits else None
