"""Permissions on internal verification (sampling, plans, standardisation), as django-rules
predicates. Views, templates and services ask these and nothing else.

As in assessments.rules: permissions (add_perm, user.has_perm) are what a superuser may do too,
because the predicate says so; rules (add_rule, rules.test_rule) are what only the named role
does (a superuser never samples, plans or records in an IV's name), and the pages of the role
worn now (accounts.rules.works_as).
"""

from __future__ import annotations

from typing import Any

import rules

from accounts.access import eqa_may_read, has_role_at
from accounts.models import Role
from accounts.rules import (
    administers_or_verifies_at_centre_id,
    reads_as_staff_at_centre_id,
    works_as,
    works_as_centre_admin,
)
from portfolios.rules import verifies_registration

is_superuser = rules.is_superuser

# ---------------------------------------------------------------- sampling

# The registration's own internal verifier (the one the centre assigned, holding the IV role
# there now): the person assessments.services.unlock_unit trusts to reopen a signed-off unit on
# a referral, so one predicate (portfolios.rules.verifies_registration) covers both.
rules.add_rule("verification.sample_registration", verifies_registration)

# Reading a centre's sampling (strategies, plans, samples, ratings), by centre id: its IVs,
# admins and EQAs.
can_read_sampling = is_superuser | reads_as_staff_at_centre_id
rules.add_rule("verification.read_sampling", can_read_sampling)


@rules.predicate
def reads_sampling_of(user: Any, strategy: Any) -> bool:
    """A strategy (and its plans) at its centre and qualification: the centre's IVs and admins,
    and an EQA whose grant covers the qualification."""
    return strategy is not None and (
        administers_or_verifies_at_centre_id(user, strategy.centre_id)
        or eqa_may_read(user, strategy.centre_id, strategy.qualification_id)
    )


rules.add_perm("verification.view_strategy", is_superuser | reads_sampling_of)

# Risk ratings, strategies and plans, by centre id: its IVs and admins.
rules.add_rule("verification.plan_sampling", administers_or_verifies_at_centre_id)

# The sampling pages of the role worn now: reading, and planning.
rules.add_rule(
    "verification.work_sampling", works_as(Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN, Role.EQA)
)
rules.add_rule("verification.work_planning", works_as(Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN))

# ---------------------------------------------------------------- standardisation meetings


@rules.predicate
def records_at_meeting_centre(user: Any, meeting: Any) -> bool:
    return meeting is not None and administers_or_verifies_at_centre_id(user, meeting.centre_id)


@rules.predicate
def quality_assures_meeting(user: Any, meeting: Any) -> bool:
    # Honours the qualification limit of the EQA's grant.
    return meeting is not None and eqa_may_read(user, meeting.centre_id, meeting.qualification_id)


@rules.predicate
def attended_as_assessor(user: Any, meeting: Any) -> bool:
    """Assessors take part in standardisation: they read the record of a meeting they attended
    (to act on its decisions), not the centre's other meetings."""
    if meeting is None:
        return False
    attended = any(person.pk == user.pk for person in meeting.attendees.all())
    return attended and has_role_at(user, meeting.centre_id, Role.ASSESSOR)


can_view_meeting = (
    is_superuser | records_at_meeting_centre | quality_assures_meeting | attended_as_assessor
)
rules.add_perm("verification.view_meeting", can_view_meeting)
# Recording meetings (create, change while draft, decisions, finalise), by centre id: its IVs
# and admins.
rules.add_rule("verification.record_standardisation", administers_or_verifies_at_centre_id)
rules.add_rule("verification.work_recording", works_as(Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN))
# The meeting list of the role worn now: assessors list the meetings they attended.
rules.add_rule(
    "verification.work_standardisation",
    works_as(Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN, Role.EQA, Role.ASSESSOR),
)

# ---------------------------------------------------------------- EQA visits

# What external quality assurers opened at the centre: shown to its admins.
rules.add_rule("verification.view_eqa_visits", works_as_centre_admin)

# ---------------------------------------------------------------- staff competence (issue 17)

# How each assessor and IV meets the requirements: the centre's admins, and its EQA read-only
# while their access lasts (works_as asks for a current role), within their grant.
rules.add_rule("verification.work_competence_report", works_as(Role.CENTRE_ADMIN, Role.EQA))
