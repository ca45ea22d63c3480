"""Production: every secret from the environment, HTTPS enforced, static files hashed.

`python manage.py check --deploy` must report nothing with the variables in .env.example set.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *
from config.settings.base import env


def _required(name: str) -> str:
    """A variable production cannot run without: unset and empty both refuse to start."""
    value = env(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable (see .env.example).")
    return value


DEBUG = False
# No default: the process must not start with a guessable key.
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

DATABASES = {"default": env.db("DATABASE_URL")}

# ---------------------------------------------------------------- fail safe
# Without a broker, tasks would run eagerly inside web requests: a PDF build would hold a web
# worker for seconds and die with it. Production refuses to start rather than do that.
CELERY_BROKER_URL = _required("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = False
# Records are built by workers, outside any request: without SITE_URL their QR codes and
# verify links would name localhost. It must be the public https address.
SITE_URL = _required("SITE_URL").rstrip("/")
if urlsplit(SITE_URL).scheme != "https" or not urlsplit(SITE_URL).netloc:
    raise ImproperlyConfigured(
        f"SITE_URL must be the site's public https:// address, not {SITE_URL!r}."
    )
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# ---------------------------------------------------------------- HTTPS
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Load balancers and docker-compose probe /health/ over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Hashed, compressed static files served by whitenoise straight from gunicorn.
STORAGES["staticfiles"] = {
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
}

LOGGING["root"]["level"] = env("DJANGO_LOG_LEVEL", default="WARNING")

# Badges are signed with one platform key; a key made on the spot by each machine would sign
# badges no other machine's DID document names. Give BADGE_SIGNING_KEY or the file.
BADGE_SIGNING_KEY_GENERATE = False

# A centre's OpenID client secret is kept encrypted with these (core.encryption): keys of their
# own, so that changing DJANGO_SECRET_KEY never leaves the stored secrets unreadable.
FIELD_ENCRYPTION_KEYS = [
    key.strip() for key in _required("FIELD_ENCRYPTION_KEYS").split(",") if key.strip()
]
