"""Who may make and revoke API tokens (django-rules), mirroring ApiToken.objects.visible_to."""

from __future__ import annotations

from typing import Any

import rules

from accounts.access import has_role_at
from accounts.models import Role
from accounts.rules import administers_centre, works_as


@rules.predicate
def owns_personal_token(user: Any, token: Any) -> bool:
    return token is not None and token.centre_id is None and token.user_id == user.pk


@rules.predicate
def administers_token_centre(user: Any, token: Any) -> bool:
    return token is not None and has_role_at(user, token.centre_id, Role.CENTRE_ADMIN)


# Anyone signed in may make a token that acts as themselves (it can read no more than they do).
rules.add_perm("api.make_personal_token", rules.is_authenticated)
# A centre's token reads as the centre's admin: only its admins make one.
rules.add_perm("api.make_centre_token", rules.is_superuser | administers_centre)
# Listed and revoked by its owner: the person, or any admin of the centre.
rules.add_perm(
    "api.manage_token", rules.is_superuser | owns_personal_token | administers_token_centre
)
# The header's "API tokens" link (home.navigation), in the role worn now: everyone at work in a
# current role may make a token of their own (make_personal_token), and an admin the centre's.
rules.add_rule("api.work_tokens", works_as(*Role.values))
