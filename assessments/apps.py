"""Assessor decisions, feedback, unit sign-off, progress and achievement records."""

from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        # The portfolio page shows decisions without portfolios importing this app.
        from assessments.services import decision_states
        from portfolios import progress

        if decision_states not in progress.decision_providers:
            progress.decision_providers.append(decision_states)
