"""Porchlight's one settings module, read from environment variables.

Absent variables give the embedded default: SQLite and an in-process doorbell
(couples.bell) in one process. DATABASE_URL and REDIS_URL switch to the scaled set-up.
"""

import hashlib
import ipaddress
import os
import secrets
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str = "False") -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]


# Runtime files of the embedded mode (SQLite database, generated secret key).
DATA_DIR = Path(envstr("PORCHLIGHT_DATA_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG")
# Production: behind an HTTPS reverse proxy; unsafe defaults refuse to start.
PRODUCTION = envbool("PORCHLIGHT_PRODUCTION")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production")


def _secret_key() -> str:
    key = envstr("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    # Embedded mode: make one on first start and keep it, so that sessions survive
    # a restart without anyone having to invent a key.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "channels",
    "couples",
    "rhythms",
    "practice",
    "signals",
    "web",
]

MIDDLEWARE = [
    "couples.middleware.proxies_trusted",
    "couples.middleware.requests_counted",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "couples.language.person_language",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "couples.middleware.api_no_store",
    "web.middleware.unavailable_page",
]

# A strict policy on every page: no inline script or style, nothing from elsewhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "manifest-src": [CSP.SELF],
    "worker-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    # TLS ends at the reverse proxy, which says so in X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("PORCHLIGHT_SSL_REDIRECT", "true")
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SECURE_HSTS_SECONDS = envint("PORCHLIGHT_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("SECRET_KEY is too short or too simple for production")

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = envstr("DATABASE_URL")
if DATABASE_URL:
    # Persistent connections: without them every socket's database call (each tap, each
    # heartbeat) opens a new PostgreSQL connection. Health checks make a connection that
    # died with a database restart be replaced, not reused.
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=envint("PORCHLIGHT_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "config.postgresql"  # health checks without a round trip
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "porchlight.sqlite3",
            "OPTIONS": {
                # SQLite ignores select_for_update: IMMEDIATE takes the write lock at
                # BEGIN, so two writers cannot both read the same couple seq.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

REDIS_URL = envstr("REDIS_URL")


def _deployment() -> str:
    """This deployment's fingerprint: its database's identity and its secret key. Every
    process of one deployment shares both; two deployments never share both."""
    db = DATABASES["default"]
    identity = "|".join(str(db.get(part) or "") for part in ("ENGINE", "HOST", "PORT", "NAME"))
    return hashlib.sha256(f"{identity}\0{SECRET_KEY}".encode()).hexdigest()


DEPLOYMENT = _deployment()
# Names this deployment's keys and doorbell channel in Redis. Pub/sub ignores Redis's
# database number, so the default is this deployment's own; couples.bell.bell_claim
# refuses a prefix that another deployment holds.
REDIS_PREFIX = envstr("PORCHLIGHT_REDIS_PREFIX") or f"porchlight-{DEPLOYMENT[:16]}"
# No Channels layer: the sockets' doorbell is couples.bell, in this process when
# embedded and over Redis pub/sub when scaled (chosen on measurement: docs/benchmarks.md).
CHANNEL_LAYERS = {}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Throttle counters and the like: this deployment's alone, as its doorbell.
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Mail: e-mail address confirmations and password resets (couples/mail.py). With no
# EMAIL_URL each mail is written to a file in DATA_DIR/mail (Django's file backend; the
# server says so when it starts). EMAIL_URL is smtp://user:password@host:587 (STARTTLS)
# or smtps://user:password@host:465 (TLS from the start); docs/deploy.md.
EMAIL_URL = envstr("EMAIL_URL")
DEFAULT_FROM_EMAIL = envstr("PORCHLIGHT_FROM_EMAIL", "Porchlight <porchlight@localhost>")
if EMAIL_URL:
    _mail = urlsplit(EMAIL_URL)
    if _mail.scheme not in ("smtp", "smtps") or not _mail.hostname:
        raise ImproperlyConfigured("EMAIL_URL is smtp://user:password@host:port or smtps://…")
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _mail.hostname,
                "port": _mail.port or (465 if _mail.scheme == "smtps" else 587),
                "username": unquote(_mail.username or ""),
                "password": unquote(_mail.password or ""),
                "use_ssl": _mail.scheme == "smtps",
                "use_tls": _mail.scheme == "smtp" and _mail.port != 25,
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": DATA_DIR / "mail"},
        }
    }

AUTH_USER_MODEL = "couples.User"
# Database sessions whose rows name their user (couples.LoginSession): a password change
# ends the person's other sessions, account deletion all of them.
SESSION_ENGINE = "couples.sessions"
CSRF_FAILURE_VIEW = "web.pages.errors.csrf_failure"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if envbool("PORCHLIGHT_FAST_PASSWORD_HASHER"):
    # Tests only: the default PBKDF2 costs ~0.6 s of CPU per hash.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en"
# A person's language (User.language) once logged in; before, the browser's
# Accept-Language. The catalogues live in config/locale; make compiles their .mo files.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "config" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# WhiteNoise serves straight from the apps' static folders: no collectstatic step.
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "couples.language.TokenAuthentication",
        "couples.language.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["couples.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # `?format=` is ours (the export's json|csv), not DRF's renderer switch.
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "couples.api.exception_handler",
    # A person's writes, REST and sockets together (couples.rates).
    "DEFAULT_THROTTLE_CLASSES": ["couples.api.PersonWriteThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "join_user": envstr("PORCHLIGHT_JOIN_RATE_USER", "10/min"),
        "join_ip": envstr("PORCHLIGHT_JOIN_RATE_IP", "30/min"),
        # couples.throttles: every attempt per address; failures per (account, address);
        # failures per account from places it has not logged in from.
        "login": envstr("PORCHLIGHT_LOGIN_RATE", "10/min"),
        "login_failures": envstr("PORCHLIGHT_LOGIN_FAILURE_RATE", "10/hour"),
        "login_account": envstr("PORCHLIGHT_LOGIN_ACCOUNT_RATE", "20/hour"),
        "password_reset": envstr("PORCHLIGHT_PASSWORD_RESET_RATE", "5/hour"),
    },
    # Client addresses (throttles): the socket's, or behind this many trusted reverse
    # proxies the one the nearest of them saw in X-Forwarded-For. 0 ignores the header,
    # so a forged one cannot give a client a new throttle key.
    "NUM_PROXIES": envint("PORCHLIGHT_TRUSTED_PROXIES", 0),
}


def _proxy_networks() -> list:
    """The addresses (or networks) of the trusted reverse proxies, as uvicorn's
    --forwarded-allow-ips takes them; the header is believed from these alone."""
    networks = []
    for item in envlist("PORCHLIGHT_TRUSTED_PROXY_IPS", ""):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"PORCHLIGHT_TRUSTED_PROXY_IPS: {item!r} is not an address or network ('*' is not allowed)"
            ) from None
    if REST_FRAMEWORK["NUM_PROXIES"] and not networks:
        raise ImproperlyConfigured(
            "PORCHLIGHT_TRUSTED_PROXIES is set: name the proxies' addresses in PORCHLIGHT_TRUSTED_PROXY_IPS"
        )
    return networks


TRUSTED_PROXY_NETWORKS = _proxy_networks()

SPECTACULAR_SETTINGS = {
    "TITLE": "Porchlight API",
    "DESCRIPTION": "A couple's need lights, carried live.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Two "kind" choice sets: a rhythm block's and a journal entry's.
    "ENUM_NAME_OVERRIDES": {"JournalKindEnum": ["alone_time", "anxiety"]},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.requests_exact",
    ],
}

PORCHLIGHT = {
    "INVITE_TTL_MINUTES": envint("PORCHLIGHT_INVITE_TTL_MINUTES", 60),
    "WS_TICKET_SECONDS": envint("PORCHLIGHT_WS_TICKET_SECONDS", 60),
    "HEARTBEAT_SECONDS": envint("PORCHLIGHT_HEARTBEAT_SECONDS", 25),
    "REDIS_PREFIX": REDIS_PREFIX,
    "REPLAY_MAX_EVENTS": envint("PORCHLIGHT_REPLAY_MAX_EVENTS", 1000),
    "WS_MAX_FRAME_BYTES": envint("PORCHLIGHT_WS_MAX_FRAME_BYTES", 4096),
    # A socket may send this many frames in a burst, refilled at this rate per second;
    # past it the socket is closed with 4429.
    "WS_FRAME_BURST": envint("PORCHLIGHT_WS_FRAME_BURST", 30),
    "WS_FRAMES_PER_SECOND": envint("PORCHLIGHT_WS_FRAMES_PER_SECOND", 5),
    # Live sockets one person may hold (phones, tabs): across workers with Redis.
    "WS_MAX_SOCKETS_PER_USER": envint("PORCHLIGHT_WS_MAX_SOCKETS_PER_USER", 10),
    # Changes one person may make a minute, over REST and every socket together.
    "WRITES_PER_MINUTE": envint("PORCHLIGHT_WRITES_PER_MINUTE", 30),
    # Threads kept per serving process for REST requests, each with its database
    # connection (config/http.py); more concurrent requests get a passing thread.
    "HTTP_THREADS": envint("PORCHLIGHT_HTTP_THREADS", 4),
    # A serving process collects its cyclic garbage in full this often, instead of when
    # Python's allocation counts say (config/collector.py); 0 leaves Python's own.
    "GC_FULL_SECONDS": envint("PORCHLIGHT_GC_FULL_SECONDS", 3600),
    # /metrics answers only with this bearer token, and is not there without one.
    "METRICS_TOKEN": envstr("PORCHLIGHT_METRICS_TOKEN", ""),
    "PREVIEW_MAX_DAYS": envint("PORCHLIGHT_PREVIEW_MAX_DAYS", 14),
    "REMINDER_LATE_MINUTES": envint("PORCHLIGHT_REMINDER_LATE_MINUTES", 15),
    # Reminders fired per transaction: a whole minute's worth in a few round trips.
    "REMINDER_BATCH": envint("PORCHLIGHT_REMINDER_BATCH", 200),
    "FLAG_WINDOW_DAYS": 7,
    # The scheduler inside the serving process: on by default in the embedded mode only.
    "SCHEDULER_IN_PROCESS": envbool("PORCHLIGHT_SCHEDULER_IN_PROCESS", "false" if REDIS_URL else "true"),
    "SCHEDULER_IDLE_SECONDS": float(envstr("PORCHLIGHT_SCHEDULER_IDLE_SECONDS", "1")),
    # The background loops and their steps, each loop in a thread of its own, so that a
    # slow push service never holds up a reminder.
    "LOOPS": {
        "rhythms": [
            "rhythms.scheduler.step",
            "signals.push.push_dispatch_next",
            "signals.ownership.history_purge_next",
            "couples.bell.bell_claim_step",
        ],
        "push": ["signals.push.push_send_next"],
        # The outbox (couples/mail.py): a slow mail server holds up no push, nor reminder.
        "mail": ["couples.mail.mail_send_next"],
    },
    "PUSH_TIMEOUT_SECONDS": envint("PORCHLIGHT_PUSH_TIMEOUT_SECONDS", 10),
    "PUSH_MAX_ATTEMPTS": envint("PORCHLIGHT_PUSH_MAX_ATTEMPTS", 5),
    "PUSH_MAX_AGE_MINUTES": envint("PORCHLIGHT_PUSH_MAX_AGE_MINUTES", 30),
    # Tests deliver to a push endpoint on 127.0.0.1 over plain HTTP; production never.
    "PUSH_ALLOW_LOCAL": envbool("PORCHLIGHT_PUSH_ALLOW_LOCAL"),
    "VAPID_PRIVATE_KEY": envstr("VAPID_PRIVATE_KEY"),
    "VAPID_CONTACT": envstr("PORCHLIGHT_VAPID_CONTACT", "mailto:porchlight@localhost"),
}
if not 1 <= PORCHLIGHT["INVITE_TTL_MINUTES"] <= 24 * 60:
    raise ImproperlyConfigured("PORCHLIGHT_INVITE_TTL_MINUTES must be 1 to 1440")

# Django warns on every static file that WhiteNoise serves under ASGI (a sync iterator);
# the files are a few KB and the warning is noise in the server log.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}
