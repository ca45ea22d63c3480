"""The REST API (/api/v1/) and its tokens (issue 20).

A top app, beside home and demo: it reads every app's querysets and rules, and no app imports it
(see pyproject's [tool.importlinter])."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = "API"
