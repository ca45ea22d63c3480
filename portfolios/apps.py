"""Registrations, evidence and its files, mapping to criteria, declarations."""

from django.apps import AppConfig


class PortfoliosConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portfolios"
    verbose_name = "Portfolios"

    def ready(self) -> None:
        # Connects the receiver that registers an invited learner when they accept.
        from portfolios import services  # noqa: F401
