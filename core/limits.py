"""Length limits on free text, enforced by the database and stated by every form.

SQLite ignores a varchar's length and a TextField has none anywhere, so a model's max_length
alone would hold only against forms. `length_checks` adds a CHECK constraint per field, so a
service, a shell or a task that writes too much fails at the database as a form would.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual


def length_checks(**limits: int) -> list[models.CheckConstraint]:
    """One CHECK (length(field) <= limit) per field, named <app>_<model>_<field>_len.

    Give each field the same number as its max_length; tests/test_text_limits.py checks that
    they agree and that no free-text field is left without one.
    """
    return [
        models.CheckConstraint(
            condition=LessThanOrEqual(Length(field), limit),
            name=f"%(app_label)s_%(class)s_{field}_len",
        )
        for field, limit in limits.items()
    ]
