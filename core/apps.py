"""Shared pieces beneath every app: health check, audit events, base models and helpers."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core import lookups  # noqa: F401 (registers field__any)
