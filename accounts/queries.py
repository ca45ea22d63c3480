"""Reusable queries about people."""

from __future__ import annotations

from typing import Any

from django.db.models import F, FilteredRelation, Prefetch, Q


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


def looks_like_uln(q: str) -> bool:
    return len(q) == 10 and q.isdigit()


def people_matching(q: str, centre: Any) -> Q:
    """A condition on User: part of the name or e-mail, or the exact ULN this centre holds.

    The name and e-mail test is UPPER(column) LIKE UPPER('%q%') (icontains), which the
    trigram indexes of accounts' migration 0008 serve on PostgreSQL; the ULN is looked up
    only when it could be one, through the centre's learner profiles (an index).
    """
    from accounts.models import LearnerProfile

    if looks_like_uln(q):
        # Ten digits are a ULN, never part of a name; and OR-ing the two would stop
        # PostgreSQL combining the trigram indexes (it walked every user instead).
        return Q(pk__in=LearnerProfile.objects.filter(centre=centre, uln=q).values("user_id"))
    return Q(full_name__icontains=q) | Q(email__icontains=q)


def people_named(q: str, centre: Any) -> Q:
    """A condition on User: exactly this e-mail, ULN (at this centre) or full name."""
    from accounts.models import LearnerProfile

    named = Q(email=q.lower()) | Q(full_name__iexact=q)
    if looks_like_uln(q):
        named |= Q(pk__in=LearnerProfile.objects.filter(centre=centre, uln=q).values("user_id"))
    return named


def current_contacts() -> Prefetch:
    """Each employer's current contacts (issue 19), by name, as `current_contacts`: one query
    for a whole page of employers."""
    from accounts.models import Membership, Role

    return Prefetch(
        "contacts",
        queryset=Membership.objects.current()
        .filter(role=Role.EMPLOYER)
        .select_related("user")
        .order_by("user__full_name", "user__email"),
        to_attr="current_contacts",
    )
