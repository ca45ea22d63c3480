"""Settings shared by every environment; each value can come from the environment.

Read `.env.example` for the variables. Defaults give the embedded set-up: a SQLite file,
Celery tasks run in-process, uploaded files on local disk, e-mail to the console.
"""

from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

from config.storage import s3_media_storage

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file beside manage.py is optional; real environment variables win over it.
env_file = BASE_DIR / ".env"
if env_file.exists():
    env.read_env(str(env_file), overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The public address, printed (and QR-encoded) on achievement records for their verify page.
# Blank: the address the record was asked for from (http://127.0.0.1:8000 from the command line).
# Production requires it (records are built by workers, outside any request).
SITE_URL = env("SITE_URL", default="")
# The platform's Ed25519 key that signs Open Badges (assessments.badges): its PEM in
# BADGE_SIGNING_KEY, or a file at BADGE_SIGNING_KEY_FILE. In development and tests a key is made
# once into that file (var/ is never committed); production refuses to make one (each machine
# would sign with its own key) and must be given it.
BADGE_SIGNING_KEY = env("BADGE_SIGNING_KEY", default="")
# Blank (as .env.example leaves it) is the default path, not the current directory.
BADGE_SIGNING_KEY_FILE = Path(
    env("BADGE_SIGNING_KEY_FILE", default="") or BASE_DIR / "var" / "badge-signing-key.pem"
)
BADGE_SIGNING_KEY_GENERATE = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------- database
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=0))


def serialise_sqlite_writers(database: dict) -> None:
    """SQLite: take the write lock when a transaction begins (BEGIN IMMEDIATE), so concurrent
    writers wait their turn (up to `timeout` seconds) instead of failing with "database is
    locked" when a read-then-write transaction (every audit append) upgrades its lock.

    And keep a write-ahead log (WAL): a commit appends to it and syncs it once, where the
    default rollback journal creates, syncs and deletes a file per commit (15-25 ms a commit
    on a busy disk; signing in commits four times, so that was most of what it cost beyond
    the password hasher). Still every commit synced (synchronous stays FULL); readers no
    longer wait for a writer. The mode is kept in the file, so asking again is a no-op.
    """
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("OPTIONS", {}).setdefault("transaction_mode", "IMMEDIATE")
        database["OPTIONS"].setdefault("timeout", 20)
        database["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL")


serialise_sqlite_writers(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------- applications
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # whitenoise serves static files in development too, so dev and production agree.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "bootstrap",
    "csp",
    # Project apps, in the order of dependency: each imports only those above it here, and the
    # top apps (home, demo) any of them (pyproject's [tool.importlinter] keeps it so).
    "core",
    "qualifications",
    "accounts",
    "portfolios",
    "assessments",
    "verification",
    "certification",
    "home",
    "demo",
    "api",
]

MIDDLEWARE = [
    # The "OffApi" ones are the named middleware, passed over on the REST API's calls, which
    # use none of them (config.middleware says why each).
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.SessionOffApi",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "config.middleware.AuthenticationOffApi",
    "config.middleware.MessageOffApi",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every response (settings below); views that set their own
    # (evidence files) keep theirs.
    "csp.middleware.CSPMiddleware",
    # Single sign-on: a session signed in through a provider may post its sign-out there.
    "config.middleware.SignOutFormPolicyOffApi",
    "config.middleware.HtmxOffApi",
    "config.middleware.ActiveMembershipOffApi",
    # After the active role is known: logs each page an EQA opens, for the centre to see.
    "config.middleware.EqaPageLogOffApi",
    # Last, as django-axes asks: it locks out repeated failed sign-ins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context.memberships",
                "home.navigation.header",
            ],
        },
    },
]

# ---------------------------------------------------------------- accounts
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out address is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in protection: 5 failures for one address from one IP lock it for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.username_for_lockout"
# The client's address for the lockout, the reset limit and the badge check's (core.client_ip):
# REMOTE_ADDR alone by default, X-Forwarded-For ignored, since any client can send that header.
# Behind reverse proxies that each append to X-Forwarded-For, set how many: the address the
# outermost saw is taken, counted from the right, where no client can write it. Set it only when
# the web process cannot be reached except through them.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip_address"
# Password reset: at most this many reset e-mails per address, and reset requests per client
# (IP address, as django-axes sees it), in the window. Counted in the database (several web
# processes share it; the cache is per process). Past the address's limit the reply is the same
# and no e-mail goes; past the client's the client is told to wait.
PASSWORD_RESET_LIMIT_PER_ADDRESS = env.int("PASSWORD_RESET_LIMIT_PER_ADDRESS", default=3)
PASSWORD_RESET_LIMIT_PER_CLIENT = env.int("PASSWORD_RESET_LIMIT_PER_CLIENT", default=10)
PASSWORD_RESET_LIMIT_WINDOW_SECONDS = env.int("PASSWORD_RESET_LIMIT_WINDOW_SECONDS", default=3600)
# Sessions end two weeks after sign-in; signing out ends them at once.
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
# Django's database sessions, read by a query compiled once (every request reads one).
SESSION_ENGINE = "core.sessions"

# ---------------------------------------------------------------- single sign-on
# A centre's OpenID Connect provider (accounts.sso): seconds to wait for it to answer (its
# discovery document, tokens, user info) before the sign-in page says it cannot be reached.
SSO_TIMEOUT_SECONDS = env.int("SSO_TIMEOUT_SECONDS", default=5)
# Seconds to wait, when someone presses "Sign in with ...", for the provider to answer at all
# before the sign-in page says it is not answering (rather than the browser's own error page).
SSO_PROBE_TIMEOUT_SECONDS = env.float("SSO_PROBE_TIMEOUT_SECONDS", default=2.0)

# ---------------------------------------------------------------- did:web
# Another site's DID document (a portfolio export or an Open Badge it signed) is read over
# https, its certificate checked against the system's authorities, or only those in this PEM
# bundle when set (assessments.did_web). Hosts on private addresses are never asked, save in
# the tests, whose site of another name runs on this machine.
DID_WEB_CA_BUNDLE = env("DID_WEB_CA_BUNDLE", default="")
DID_WEB_ALLOW_PRIVATE_HOSTS = False
# Seconds one lookup may take in all (connecting, TLS, the answer's every byte): each read also
# waits 5 s at most, but a server sending a byte every few seconds would hold a web process.
DID_WEB_TOTAL_SECONDS = env.float("DID_WEB_TOTAL_SECONDS", default=8.0)
# The public badge check makes this site fetch whatever host a badge names: lookups a minute
# one client (IP address) may cause, and the whole site; past either the page says to try again
# in a minute. A document read is used again for DID_WEB_CACHE_SECONDS (counted in the cache,
# shared by every web process with CACHE_URL).
DID_WEB_LOOKUPS_PER_CLIENT_PER_MINUTE = env.int("DID_WEB_LOOKUPS_PER_CLIENT_PER_MINUTE", default=5)
DID_WEB_LOOKUPS_PER_MINUTE = env.int("DID_WEB_LOOKUPS_PER_MINUTE", default=60)
DID_WEB_CACHE_SECONDS = env.int("DID_WEB_CACHE_SECONDS", default=600)

# ---------------------------------------------------------------- secrets at rest
# Fernet keys (core.encryption), newest first and comma-separated: the first encrypts a
# provider's client secret, every one decrypts (rotation). Unset: one derived from SECRET_KEY
# (development and tests); production requires it. `python manage.py field_encryption_key`.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# ---------------------------------------------------------------- content security policy
# Strict everywhere (development, tests, production): only our own scripts, styles and fonts,
# and no inline script, style element, style attribute or event handler in any page. Bootstrap's
# CSS draws its icons (select arrows, the navbar toggler) as data: SVG images, hence img-src data:.
# connect-src and media-src fall back to default-src 'self' (htmx, uploads, evidence playback).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# ---------------------------------------------------------------- cache and API
# The cache counts API calls per token (api/throttle.py): Redis in production (CACHE_URL, such
# as redis://redis:6379/1, shared by every web process), else each process's own memory.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Calls one API token may make a minute; past it, 429 with Retry-After.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=120)

# ---------------------------------------------------------------- static and media
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")

# Media goes to S3-compatible object storage when a bucket is named, else to local disk.
# Media is never served by URL: views stream files after a permission check.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _media_storage = s3_media_storage(
        bucket_name=AWS_STORAGE_BUCKET_NAME,
        access_key=env("AWS_ACCESS_KEY_ID", default=None),
        secret_key=env("AWS_SECRET_ACCESS_KEY", default=None),
        endpoint_url=env("AWS_S3_ENDPOINT_URL", default=None),
        region_name=env("AWS_S3_REGION_NAME", default=None),
        location=env("AWS_LOCATION", default=""),
    )
else:
    _media_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
STORAGES = {
    "default": _media_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Evidence uploads: the largest file accepted. portfolios.uploads streams every file to a
# temporary file (inside MEDIA_ROOT/.incoming on the filesystem storage, so it is renamed into
# place; in FILE_UPLOAD_TEMP_DIR for S3), hashing it on the way, so memory stays flat.
EVIDENCE_MAX_UPLOAD_BYTES = env.int("EVIDENCE_MAX_UPLOAD_MB", default=500) * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# ---------------------------------------------------------------- forms
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# Every text field with a max_length states it ("Up to N characters.") in its help text.
FORM_RENDERER = "core.forms.FormRenderer"

# ---------------------------------------------------------------- e-mail
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
if env("EMAIL_URL", default=""):
    # EMAIL_URL (e.g. smtp+tls://user:pass@host:587) sets EMAIL_HOST, EMAIL_PORT and the rest.
    globals().update(env.email("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="e-portfolio <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# ---------------------------------------------------------------- celery
# No broker configured means the embedded set-up: tasks run eagerly, in-process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request that queues a task while the broker is down should fail in seconds, not hang.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 1,
    },
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
# Tasks are acknowledged late, so a worker that dies mid-task leaves its message unacknowledged;
# Redis hands it to another worker only after this many seconds. It must exceed the longest
# task (CELERY_TASK_TIME_LIMIT) and any retry's countdown (at most 60 s), or a task still
# running elsewhere would be started again; beyond that, longer only delays the rescue. Redis's
# own default is an hour.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=15 * 60),
}
# Run with `celery -A config.celery_app beat` (or `worker -B`) beside the workers.
CELERY_BEAT_SCHEDULE = {
    "assessor-digests": {"task": "assessments.send_digests", "schedule": 60 * 60 * 24},
    # Portfolio ZIPs held for a learner's invitation: discarded if it expired unanswered,
    # imported if it was accepted and the import did not follow (issue 20).
    "held-transfers": {
        "task": "assessments.settle_held_transfers",
        "schedule": 60 * 60 * 24,
    },
    # The audit chain's head, to file storage (S3 in production), where deleting the newest
    # audit rows cannot reach it: verify_audit_chain then sees the chain fall short of it.
    "audit-checkpoint": {
        "task": "core.write_audit_checkpoint",
        "schedule": crontab(hour=2, minute=0),
    },
    # Stored files that no row names (a process killed between storing a file and committing
    # its row), older than a day: deleted (core.stored_files).
    "orphaned-files": {
        "task": "core.sweep_orphaned_files",
        "schedule": crontab(hour=3, minute=30),
    },
}
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60

# ---------------------------------------------------------------- logging
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # django-axes announces itself at every start; its lockouts are warnings and still show.
    # WeasyPrint and fontTools narrate every page and font subset of a PDF at INFO.
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
