"""Registrations, evidence and its files, mapping to criteria, declarations."""

from django.apps import AppConfig


class PortfoliosConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portfolios"
    verbose_name = "Portfolios"

    def ready(self) -> None:
        from accounts import person_page

        # Connects the receiver that registers an invited learner when they accept.
        from portfolios import services  # noqa: F401
        from portfolios.views.register import register_link

        # A learner's page at the centre offers to register them (accounts cannot import us).
        if register_link not in person_page.link_sources:
            person_page.link_sources.append(register_link)
