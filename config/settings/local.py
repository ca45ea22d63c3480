"""Development on one machine: `make run`. Debug on, a fixed throw-away secret key."""

from config.settings.base import *
from config.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="local-development-only-not-secret-6c1f0b8e5d0a4f7e9b2c3d4e5f60718293a4b5c6d7e8f9",
)
