"""The decisions in the learner's portfolio ZIP (portfolios.export's index.html).

The export is the learner's own copy, so it holds what the learner may see: a decision waiting
for its internal verifier (assessments.release) is left out, as on the learner's pages. A
return held for the IV is not a decision and never reaches here; its evidence stays "submitted".
"""

from __future__ import annotations

from uuid import uuid4

from django.utils import timezone

from assessments.models import Decision
from assessments.release import is_released, validation_required
from portfolios.export import CriterionDecision
from portfolios.models import Registration


def released_decisions(registration: Registration) -> dict[int, CriterionDecision]:
    """criterion_id -> its current decision, where released to the learner. Two queries."""
    required = validation_required(registration)
    rows = (
        Decision.objects.current()
        .filter(registration_id=registration.pk)
        .select_related("assessor", "validation")
        .order_by()
    )
    return {
        decision.criterion_id: CriterionDecision(
            id=decision.pk,
            outcome=decision.outcome,
            outcome_label=decision.get_outcome_display(),
            assessor=decision.assessor.get_full_name(),
            assessed_on=decision.assessed_on,
            feedback=decision.feedback,
        )
        for decision in rows
        if is_released(decision, required=required)
    }


# What the signature's payload says it is (a verifier refuses a JWS made for anything else).
SEAL_TYPE = "PortfolioExportSeal"


def seal_export(registration: Registration, hashes: dict[str, str]) -> str:
    """The archive's signature.jws: a compact JWS (EdDSA, the platform's Ed25519 key, as the
    Open Badges use) naming the exporting centre's did:web as issuer, over the SHA-256 of
    manifest.json and index.html. No queries: the registration comes loaded with its centre."""
    from assessments.achievements import site_url
    from assessments.badges import KEY_FRAGMENT, issuer_did, sign_jwt

    did = issuer_did(site_url(), registration.centre_id)
    now = timezone.now()
    claims = {
        "type": SEAL_TYPE,
        "iss": did,
        "iat": int(now.timestamp()),
        "jti": f"urn:uuid:{uuid4()}",
        "centre": {"name": registration.centre.name, "number": registration.centre.number},
        "files": hashes,
    }
    return sign_jwt(claims, kid=f"{did}#{KEY_FRAGMENT}")
