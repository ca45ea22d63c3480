"""Reusable queries about people."""

from __future__ import annotations

from django.db.models import F, FilteredRelation, Q


def centre_profile(learner: str, centre: str) -> FilteredRelation:
    """The learner profile that the centre at path `centre` keeps about the person at path
    `learner`: annotate it under a name, then select_related that name. One join, no query
    per row, and never another centre's profile (there is at most one per person and centre).

    `Registration.objects.annotate(profile=centre_profile("learner", "centre"))`; where the
    centre holds no profile, Django leaves the attribute unset: read it with getattr(…, None).
    """
    return FilteredRelation(
        f"{learner}__learner_profiles",
        condition=Q(**{f"{learner}__learner_profiles__centre": F(centre)}),
    )
