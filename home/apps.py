"""The role home pages: each person's work at the centre they are working in.

A top app: it may import any app, and no app imports it (see pyproject's [tool.importlinter])."""

from django.apps import AppConfig


class HomeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "home"
    verbose_name = "Home"
