"""Issue 20's demo: single sign-on. Northgate signs in through the OpenID provider that
`make oidc-provider` starts on this machine (tools/oidc-provider/server.js, the `oidc-provider`
package), whose demo client is registered for http://127.0.0.1:8000.

The sign-in page shows "Sign in with Northgate Training Centre account" whether or not the
provider is running; without it, pressing the button says the centre's sign-in service is not
answering.
Through the service (accounts.sso.identity_provider_save), so its making is audited; a second
run finds it by name and adds nothing."""

from __future__ import annotations

from accounts.models import Centre, IdentityProvider, User
from accounts.sso import identity_provider_save
from demo.centres import NORTHGATE, DemoCentre

# As tools/oidc-provider/server.js registers its demo client (a demo secret, as the passwords).
DEMO_ISSUER = "http://127.0.0.1:9400"
DEMO_CLIENT_ID = "eportfolio-demo"
DEMO_CLIENT_SECRET = "demo-oidc-secret-not-for-production"  # noqa: S105 (published, as the passwords)
# The provider's demo accounts: Helen Carter (Northgate's centre admin) comes in; Olivia
# Bennett's address is not verified there, and the stranger is nobody here: both turned away.
DEMO_SIGN_INS = (
    ("helen.carter@demo.example", "signs in as Northgate's centre admin"),
    ("olivia.bennett@learner.demo.example", "refused: the provider has not verified it"),
    ("stranger@elsewhere.example", "refused: nobody Northgate has invited"),
)


def provider_name(demo: DemoCentre) -> str:
    return f"{demo.name} account"


def seed_identity_provider(*, centre: Centre, demo: DemoCentre) -> None:
    # The provider's demo accounts are Northgate's people; the second centre has none there.
    if demo is not NORTHGATE or IdentityProvider.objects.filter(centre=centre).exists():
        return
    identity_provider_save(
        actor=User.objects.get(email=demo.centre_admin.email),
        provider=IdentityProvider(centre=centre),
        secret=DEMO_CLIENT_SECRET,
        name=provider_name(demo),
        issuer=DEMO_ISSUER,
        client_id=DEMO_CLIENT_ID,
        enabled=True,
    )
