"""What the claim pages share: who may open them, in the role they work in now.

The role the person works in now decides the centre (request.membership). Centre admins act; an
EQA reads (POST → 403, and a qualification-limited EQA sees only those qualifications); an
internal verifier opens and reads holds; learners and assessors get 403. Another centre's batch
or hold answers 404.
"""

from __future__ import annotations

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404

from accounts.access import eqa_scope
from accounts.context import working_membership
from accounts.models import Membership
from accounts.requests import AuthedRequest
from certification.models import ClaimBatch

# The rules (certification/rules.py) that let the role worn now read the claims or the holds.
READERS = "certification.read_claims"
HOLD_READERS = "certification.read_holds"


def membership_for(request: AuthedRequest, rule: str) -> Membership:
    membership = working_membership(request, rule, "Claims are handled by the centre's admins.")
    if request.method == "POST" and rules.test_rule(
        "accounts.work_as_eqa", request.user, membership
    ):
        raise PermissionDenied("External quality assurers read claims but never change them.")
    return membership


def eqa_limit(request: AuthedRequest, membership: Membership, prefix: str = "") -> Q | None:
    """An EQA reads only what their grant opens."""
    if membership is None or not rules.test_rule("accounts.work_as_eqa", request.user, membership):
        return None
    return eqa_scope(request.user, f"{prefix}centre_id", f"{prefix}qualification_id")


def may_act(request: AuthedRequest, membership: Membership) -> bool:
    """Whether the role worn now changes claims (a centre admin), not only reads them."""
    return rules.test_rule("certification.act_on_claims", request.user, membership)


def admin_membership(request: AuthedRequest) -> Membership:
    membership = membership_for(request, READERS)
    if request.method == "POST" and not may_act(request, membership):
        raise PermissionDenied
    return membership


def batch_for(request: AuthedRequest, pk: int) -> tuple[Membership, ClaimBatch]:
    membership = admin_membership(request)
    batch = get_object_or_404(
        ClaimBatch.objects.select_related(
            "centre", "awarding_body", "created_by", "exported_by", "submitted_by"
        ),
        pk=pk,
        centre_id=membership.centre_id,
    )
    return membership, batch
