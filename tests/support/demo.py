"""Running `seed_demo` from the tests, and what they compare between two runs."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command

from accounts.models import Centre, LearnerProfile, Membership, StaffCredential, User
from assessments.models import AssessmentPlan, PlanActivity
from assessments.models.achievement import AchievementRecord
from core.models import AuditEvent
from portfolios.models import (
    Declaration,
    Evidence,
    EvidenceCriterion,
    EvidenceFile,
    Registration,
    RegistrationUnit,
    WitnessRequest,
)
from verification.models.standardisation import StandardisationMeeting, StandardisationOutcome


def seed(*args: str) -> str:
    """What `manage.py seed_demo ARGS` prints."""
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def storages_in(folder: Path) -> dict[str, Any]:
    """STORAGES with the demo's files in `folder`, not the shared test media."""
    return {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }


def stored_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Centre,
            Membership,
            LearnerProfile,
            StaffCredential,
            Registration,
            RegistrationUnit,
            AuditEvent,
            Evidence,
            EvidenceFile,
            EvidenceCriterion,
            Declaration,
            WitnessRequest,
            AssessmentPlan,
            PlanActivity,
            StandardisationMeeting,
            StandardisationOutcome,
            AchievementRecord,
        )
    }
