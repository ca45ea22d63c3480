"""Issue 20's demo: an API token for each demo centre, made by its centre admin, reading the
catalogue, the centre's registrations (progress, decisions), people, samples and claims, and
adding and registering learners. Its secret is known and printed with the
demo's logins (as the demo's passwords are), so a newcomer can try the API with curl at once.

Through the service (api.services.token_create), so its making is audited. A second run finds
it by its prefix and adds nothing."""

from __future__ import annotations

import hashlib

from accounts.models import Centre, User
from api.models import ApiToken
from api.scopes import Scope
from api.services import MARK, token_create
from demo.centres import DemoCentre


def demo_api_token(demo: DemoCentre) -> str:
    """The demo centre's token, the same on every run and every machine (a demo secret)."""
    prefix = hashlib.sha256(f"demo-api-{demo.number}".encode()).hexdigest()[:10]
    return f"{MARK}{prefix}_demo-centre-{demo.number}-token-as-known-as-the-passwords"


def seed_api_token(*, centre: Centre, demo: DemoCentre) -> None:
    secret = demo_api_token(demo)
    prefix = secret[len(MARK) :].partition("_")[0]
    if ApiToken.objects.filter(prefix=prefix).exists():
        return
    token_create(
        actor=User.objects.get(email=demo.centre_admin.email),
        name="Demo: the centre's MIS",
        scopes=[
            Scope.CATALOGUE_READ,
            Scope.REGISTRATIONS_READ,
            Scope.PEOPLE_READ,
            Scope.SAMPLES_READ,
            Scope.CLAIMS_READ,
            # What a centre's MIS writes: its new learners. Evidence and hours are the learner's
            # own to add, with their own token.
            Scope.LEARNERS_WRITE,
        ],
        centre=centre,
        known_secret=secret,
    )
