"""Internal verification: sampling, standardisation and EQA access."""

from django.apps import AppConfig


class VerificationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "verification"
    verbose_name = "Verification"

    def ready(self) -> None:
        from verification import samples

        # An unlocked unit voids the IV's sign-off that covered it (assessments cannot import us).
        samples.connect()
