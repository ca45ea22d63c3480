"""Permissions on registrations, as django-rules predicates.

They mirror Registration.objects.visible_to / manageable_by; tests check both against one truth
table over every role, own/other centre and own/other learner.
"""

from __future__ import annotations

from typing import Any

import rules

from accounts.access import has_role_at
from accounts.models import Role


@rules.predicate
def is_own_registration(user: Any, registration: Any) -> bool:
    return registration is not None and registration.learner_id == user.pk


@rules.predicate
def assesses_registration(user: Any, registration: Any) -> bool:
    return (
        registration is not None
        and has_role_at(user, registration.centre_id, Role.ASSESSOR)
        and registration.assessors.filter(pk=user.pk).exists()
    )


@rules.predicate
def verifies_registration(user: Any, registration: Any) -> bool:
    return (
        registration is not None
        and registration.internal_verifier_id == user.pk
        and has_role_at(user, registration.centre_id, Role.INTERNAL_VERIFIER)
    )


@rules.predicate
def administers_registration_centre(user: Any, registration: Any) -> bool:
    return registration is not None and has_role_at(user, registration.centre_id, Role.CENTRE_ADMIN)


@rules.predicate
def quality_assures_registration_centre(user: Any, registration: Any) -> bool:
    return registration is not None and has_role_at(user, registration.centre_id, Role.EQA)


is_superuser = rules.is_superuser

can_view_registration = (
    is_superuser
    | is_own_registration
    | assesses_registration
    | verifies_registration
    | administers_registration_centre
    | quality_assures_registration_centre
)
can_manage_registration = is_superuser | administers_registration_centre

rules.add_perm("portfolios.view_registration", can_view_registration)
rules.add_perm("portfolios.manage_registration", can_manage_registration)
