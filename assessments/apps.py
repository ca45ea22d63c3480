"""Assessor decisions, feedback, unit sign-off, progress and achievement records."""

from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        # The portfolio page shows decisions without portfolios importing this app.
        from assessments import readmodel
        from assessments.achievements import audit_checkpoints
        from assessments.services import connect as connect_services
        from assessments.services import decision_states
        from core import audit
        from portfolios import progress

        if decision_states not in progress.decision_providers:
            progress.decision_providers.append(decision_states)
        # Criteria met, units signed off and plan dates for the progress read model.
        readmodel.connect()
        # A centre's newly recorded rule of combination completes whom it already covers.
        connect_services()
        # verify_audit_chain checks the chain head each built record stores (core imports no app).
        if audit_checkpoints not in audit.checkpoint_sources:
            audit.checkpoint_sources.append(audit_checkpoints)
        # The learner's page of their evidence shows its released decisions and feedback.
        from assessments.views.assess import learner_assessment
        from portfolios import evidence_page

        if learner_assessment not in evidence_page.section_sources:
            evidence_page.section_sources.append(learner_assessment)
        # The learner's portfolio ZIP lists the decisions they may see.
        from assessments.portfolio_export import released_decisions, seal_export
        from portfolios import export

        if released_decisions not in export.decision_sources:
            export.decision_sources.append(released_decisions)
        # ...and is signed with the platform's key, naming its centre (issue 20: transfer).
        if seal_export not in export.export_sealers:
            export.export_sealers.append(seal_export)
        # A portfolio ZIP held against a learner's invitation: imported when they accept,
        # discarded when it is withdrawn or declined (issue 20).
        from assessments import transfer

        transfer.connect_invitation_signals()
        # Progress reviews (issue 19) record KSB coverage and print through this app's PDFs.
        from assessments import review_hooks

        review_hooks.connect()
        # Achievement records' PDFs: core sweeps what no row names under their prefix.
        from assessments.models.achievement import RECORD_PREFIX, AchievementRecord
        from core import stored_files

        stored_files.register(stored_files.StoredFiles(RECORD_PREFIX, AchievementRecord, "file"))
