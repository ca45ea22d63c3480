"""The demo: Northgate (and Southfield) seeded through the real services for `make run`, and the
large Scale Centre the benchmarks measure on.

A top app: it may import any app, and no app imports it (see pyproject's [tool.importlinter])."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
    verbose_name = "Demo"
