"""What a token may do. Each endpoint names the one scope it needs; a token carries a set."""

from django.db import models


class Scope(models.TextChoices):
    CATALOGUE_READ = "catalogue:read", "Read the catalogue (qualifications, units, criteria)"
    REGISTRATIONS_READ = (
        "registrations:read",
        "Read registrations, their progress and assessment decisions",
    )
    PEOPLE_READ = "people:read", "Read people and their roles"
    SAMPLES_READ = "samples:read", "Read internal verification samples"
    CLAIMS_READ = "claims:read", "Read certification claims"
    LEARNERS_WRITE = "learners:write", "Add learners and register them on qualifications"
    EVIDENCE_WRITE = "evidence:write", "Upload evidence to the learner's own portfolio"
    OFF_THE_JOB_WRITE = "off-the-job:write", "Log the apprentice's own off-the-job hours"
