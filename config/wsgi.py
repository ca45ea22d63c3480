"""WSGI entry point for gunicorn: `gunicorn config.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

from core.malloc import keep_large_buffers_on_heap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

# Request bodies (uploads) pass through in MB-sized buffers: see core/malloc.py.
keep_large_buffers_on_heap()

application = get_wsgi_application()
