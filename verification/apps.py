"""Internal verification sampling, EQA access and certification claims."""

from django.apps import AppConfig


class VerificationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "verification"
    verbose_name = "Verification"

    def ready(self) -> None:
        from core import audit
        from verification import samples
        from verification.claims import audit_checkpoints

        # An unlocked unit voids the IV's sign-off that covered it (assessments cannot import us).
        samples.connect()
        # verify_audit_chain checks the chain head each claim export stores.
        if audit_checkpoints not in audit.checkpoint_sources:
            audit.checkpoint_sources.append(audit_checkpoints)
