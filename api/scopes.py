"""What a token may do. Each endpoint names the one scope it needs; a token carries a set."""

from django.db import models


class Scope(models.TextChoices):
    CATALOGUE_READ = "catalogue:read", "Read the catalogue (qualifications, units, criteria)"
    REGISTRATIONS_READ = "registrations:read", "Read registrations and their progress"
    PEOPLE_READ = "people:read", "Read people and their roles"
