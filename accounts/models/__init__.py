"""People, centres, their roles, invitations and password resets.

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
