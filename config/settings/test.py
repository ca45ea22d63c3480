"""Settings for the test suite.

The database comes from DATABASE_URL (CI points it at PostgreSQL); without it, SQLite.
Tasks always run eagerly here; the tests that need a real worker configure it themselves.
"""

import os

from config.settings.base import *
from config.settings.base import BASE_DIR, env, serialise_sqlite_writers

DEBUG = False
SECRET_KEY = "test-only-not-secret-a9d6f1e2c3b4a5968778695a4b3c2d1e0f"
# Fast hashing: tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / '.test-db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Never in-memory: the live server's thread would then share the tests' own connection
    # (pytest-django passes in-memory connections across), and SQLite crashes under that.
    # One file per test process, so two test runs at once never share (and wreck) a database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db.sqlite3-{os.getpid()}")}
serialise_sqlite_writers(DATABASES["default"])

MEDIA_ROOT = BASE_DIR / ".test-media"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Serve static files straight from the apps' folders (no collectstatic) for the live server.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
