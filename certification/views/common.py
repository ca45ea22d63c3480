"""What the claim pages share: who may open them, in the role they work in now.

The role the person works in now decides the centre (request.membership). Centre admins act; an
EQA reads (POST → 403, and a qualification-limited EQA sees only those qualifications); an
internal verifier opens and reads holds; learners and assessors get 403. Another centre's batch
or hold answers 404.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404

from accounts.access import eqa_scope
from accounts.models import Membership, Role
from accounts.requests import AppRequest, AuthedRequest
from certification.models import ClaimBatch

READERS = (Role.CENTRE_ADMIN, Role.EQA)
HOLD_READERS = (Role.CENTRE_ADMIN, Role.EQA, Role.INTERNAL_VERIFIER)


def membership_for(request: AppRequest, roles: tuple[str, ...]) -> Membership:
    membership = request.membership
    if not membership or membership.role not in roles:
        raise PermissionDenied("Claims are handled by the centre's admins.")
    if request.method == "POST" and membership.role == Role.EQA:
        raise PermissionDenied("External quality assurers read claims but never change them.")
    return membership


def eqa_limit(request: AuthedRequest, membership: Membership, prefix: str = "") -> Q | None:
    """An EQA reads only what their grant opens."""
    if membership.role != Role.EQA:
        return None
    return eqa_scope(request.user, f"{prefix}centre_id", f"{prefix}qualification_id")


def admin_membership(request: AuthedRequest) -> Membership:
    membership = membership_for(request, READERS)
    if request.method == "POST" and membership.role != Role.CENTRE_ADMIN:
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
