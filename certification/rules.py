"""Permissions on certification claims and holds, as django-rules predicates.

Both take the centre's id, not an object: the services ask with what they hold (a claim batch,
a hold or a registration names its centre by id), and has_role_at answers from the request's
memberships when they are loaded. The claim pages check the role the person works in now
(request.membership) before any service is called; these are the services' own check.
"""

from __future__ import annotations

from typing import Any

import rules

from accounts.models import Role
from accounts.rules import (
    administers_centre_id,
    administers_or_verifies_at_centre_id,
    works_as,
    works_as_centre_admin,
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
