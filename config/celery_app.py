"""The Celery application, wired the usual way: settings from Django under CELERY_*."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("eportfolio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
