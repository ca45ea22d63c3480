"""Certification claims: holds, claim batches sent to the awarding bodies, their summaries."""

from django.apps import AppConfig


class CertificationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "certification"
    verbose_name = "Certification"

    def ready(self) -> None:
        from certification.claims import audit_checkpoints
        from core import audit

        # verify_audit_chain checks the chain head each claim export stores.
        if audit_checkpoints not in audit.checkpoint_sources:
            audit.checkpoint_sources.append(audit_checkpoints)

        from assessments import achievements
        from certification.achievement import cases_section

        # The learner's adjustments and appeals, printed on their achievement record.
        if cases_section not in achievements.content_sources:
            achievements.content_sources.append(cases_section)

        # A case's documents: core sweeps what no row names under their prefix.
        from certification.models.cases import CASE_DOCUMENT_PREFIX, CaseDocument
        from core import stored_files

        stored_files.register(stored_files.StoredFiles(CASE_DOCUMENT_PREFIX, CaseDocument, "file"))
