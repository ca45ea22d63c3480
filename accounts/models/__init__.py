"""People, centres, their roles, invitations, password resets and sign-in providers.

One module per part of the app; every model is importable from `accounts.models`."""

from accounts.models.password_reset import (
    PasswordResetRequest,
)
from accounts.models.people import (
    CENTRE_READER_ROLES,
    INVITATION_DAYS,
    INVITATION_LIFECYCLE,
    STAFF_ROLES,
    Centre,
    CentreHeldQuerySet,
    CentreQuerySet,
    CompetenceRecord,
    Employer,
    EmployerQuerySet,
    Invitation,
    InvitationQuerySet,
    InvitationStatus,
    LearnerProfile,
    Membership,
    MembershipQuerySet,
    Role,
    StaffCredential,
    User,
    UserManager,
    UserQuerySet,
    hash_token,
    includes_learner,
)
from accounts.models.sso import IdentityProvider, IdentityProviderQuerySet

__all__ = [
    "CENTRE_READER_ROLES",
    "INVITATION_DAYS",
    "INVITATION_LIFECYCLE",
    "STAFF_ROLES",
    "Centre",
    "CentreHeldQuerySet",
    "CentreQuerySet",
    "CompetenceRecord",
    "Employer",
    "EmployerQuerySet",
    "IdentityProvider",
    "IdentityProviderQuerySet",
    "Invitation",
    "InvitationQuerySet",
    "InvitationStatus",
    "LearnerProfile",
    "Membership",
    "MembershipQuerySet",
    "PasswordResetRequest",
    "Role",
    "StaffCredential",
    "User",
    "UserManager",
    "UserQuerySet",
    "hash_token",
    "includes_learner",
]
