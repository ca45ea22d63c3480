"""Permissions on certification claims and holds, as django-rules predicates.

Both take the centre's id, not an object: the services ask with what they hold (a claim batch,
a hold or a registration names its centre by id), and has_role_at answers from the request's
memberships when they are loaded. The claim pages check the role the person works in now
(request.membership) before any service is called; these are the services' own check.
"""

from __future__ import annotations

from typing import Any

import rules

from accounts.access import has_role_at
from accounts.models import Role
from accounts.rules import (
    administers_centre_id,
    administers_or_verifies_at_centre_id,
    works_as,
    works_as_centre_admin,
)
from portfolios.rules import (
    assesses_registration,
    can_view_registration_in_centre,
    is_own_registration,
)

# Claim batches (adding, exporting, submitting, certificates, summaries) and releasing holds:
# the centre's admins.
can_manage_claims = rules.is_superuser | administers_centre_id
# Opening a hold: its admins and internal verifiers (an IV who finds malpractice holds the claim).
can_open_hold = rules.is_superuser | administers_or_verifies_at_centre_id

rules.add_perm("certification.manage_claims", can_manage_claims)
rules.add_perm("certification.open_hold", can_open_hold)


def may_manage_claims(user: Any, centre_id: int | None) -> bool:
    return bool(can_manage_claims.test(user, centre_id))


def may_open_hold(user: Any, centre_id: int | None) -> bool:
    return bool(can_open_hold.test(user, centre_id))


# ---------------------------------------------------------------- the role worn on the pages
# (request.membership; see accounts.rules.works_as). Centre admins act; an EQA reads claims and
# holds but changes nothing; an internal verifier opens and reads holds, never the claims.

rules.add_rule("certification.read_claims", works_as(Role.CENTRE_ADMIN, Role.EQA))
rules.add_rule(
    "certification.read_holds", works_as(Role.CENTRE_ADMIN, Role.EQA, Role.INTERNAL_VERIFIER)
)
rules.add_rule("certification.act_on_claims", works_as_centre_admin)
rules.add_rule("certification.open_holds_here", works_as(Role.CENTRE_ADMIN, Role.INTERNAL_VERIFIER))


# ---------------------------------------------------------------- cases
# Reasonable adjustments, special consideration, appeals and malpractice (certification.cases).
# Asked of a case (or, to raise one, of its registration); the services ask them and refuse with
# the rule and its source; the pages ask them to offer only what may be done. An EQA holds none
# of the acting ones: they read cases, never change them.


@rules.predicate
def verifies_at_case_centre(user: Any, case: Any) -> bool:
    # The lead IV takes the first stage of any appeal at the centre, not only their caseload's.
    return case is not None and has_role_at(
        user, case.registration.centre_id, Role.INTERNAL_VERIFIER
    )


@rules.predicate
def administers_case_centre(user: Any, case: Any) -> bool:
    return case is not None and has_role_at(user, case.registration.centre_id, Role.CENTRE_ADMIN)


@rules.predicate
def is_own_case(user: Any, case: Any) -> bool:
    return case is not None and case.registration.learner_id == user.pk


@rules.predicate
def views_case_registration(user: Any, case: Any) -> bool:
    # As the learner or the centre: an employer contact reads no case (issue 19).
    return case is not None and bool(can_view_registration_in_centre.test(user, case.registration))


@rules.predicate
def assesses_case_registration(user: Any, case: Any) -> bool:
    return case is not None and bool(assesses_registration.test(user, case.registration))


@rules.predicate
def staff_of_registration_centre(user: Any, registration: Any) -> bool:
    return registration is not None and has_role_at(
        user, registration.centre_id, Role.CENTRE_ADMIN, Role.INTERNAL_VERIFIER
    )


can_view_case = rules.is_superuser | views_case_registration | verifies_at_case_centre
rules.add_perm("certification.view_case", can_view_case)
# Raising a case on a registration: the learner (an appeal, a request for an adjustment or for
# special consideration), an assessor of theirs, the centre's IVs and admins (on the learner's
# behalf, or a malpractice report). Which kinds each may raise: certification.cases.raise_case.
rules.add_rule(
    "certification.raise_case",
    is_own_registration | assesses_registration | staff_of_registration_centre,
)
# The first stage of an appeal, and deciding an adjustment: the centre's internal verifiers (the
# centre's policy may name one lead IV: certification.cases.decide).
rules.add_rule("certification.decide_first_stage", verifies_at_case_centre)
# The head of centre's part: the centre's stage of an appeal, deciding an adjustment, sending a
# case to the awarding body and recording its outcome, setting the centre's policy.
rules.add_rule("certification.act_for_centre", administers_case_centre)
# Taking an appeal to the next stage, withdrawing: the learner, or an admin on their behalf.
rules.add_rule("certification.pursue_case", is_own_case | administers_case_centre)
# Adding a document: whoever works the case (not an EQA).
rules.add_rule(
    "certification.add_case_document",
    is_own_case | assesses_case_registration | verifies_at_case_centre | administers_case_centre,
)
# The cases pages, in the role worn now: everyone who works at the centre; what each sees is
# certification.queries.cases_for.
rules.add_rule(
    "certification.work_cases",
    works_as(Role.LEARNER, Role.ASSESSOR, Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN, Role.EQA),
)
# Raising one from the pages: all but the EQA, who reads.
rules.add_rule(
    "certification.raise_cases_here",
    works_as(Role.LEARNER, Role.ASSESSOR, Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN),
)


# ---------------------------------------------------------------- the centre's records
# Evidence retention (removing files past the awarding body's period, the centre's own period
# where the body leaves it to the centre), awarding-body registration dates and credit
# transfers: the centre's admins change them; an EQA reads the retention page, never acts.
can_manage_records = rules.is_superuser | administers_centre_id
rules.add_perm("certification.manage_records", can_manage_records)


def may_manage_records(user: Any, centre_id: int | None) -> bool:
    return bool(can_manage_records.test(user, centre_id))


rules.add_rule("certification.read_records", works_as(Role.CENTRE_ADMIN, Role.EQA))
rules.add_rule("certification.act_on_records", works_as_centre_admin)
