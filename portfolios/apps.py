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
        # What this app stores, and the field naming each file: core sweeps the rest.
        from core import stored_files
        from portfolios.models import EvidenceFile, HeldTransfer, ProgressReview
        from portfolios.models.evidence import EVIDENCE_PREFIX
        from portfolios.models.review import REVIEW_PDF_PREFIX
        from portfolios.models.transfer import HELD_PREFIX

        stored_files.register(
            stored_files.StoredFiles(EVIDENCE_PREFIX, EvidenceFile, "file"),
            stored_files.StoredFiles(REVIEW_PDF_PREFIX, ProgressReview, "pdf"),
            stored_files.StoredFiles(HELD_PREFIX, HeldTransfer, "file_name"),
        )
