"""Permissions on assessing, validating and the records of achievement, as django-rules predicates.

Views, templates and services ask these and nothing else. Two kinds:

- permissions (rules.add_perm, asked with user.has_perm): what a superuser may do too, because
  the predicate says so (`is_superuser | …`), as on the view permissions of portfolios.rules;
- rules (rules.add_rule, asked with rules.test_rule): what only the named role may do. Django's
  has_perm lets a superuser through every permission, and nobody judges, validates or signs off
  in an assessor's or IV's name. The pages of a role worn now (accounts.rules.works_as) are
  rules too.
"""

from __future__ import annotations

from typing import Any

import rules

from accounts.access import eqa_may_read, has_role_at
from accounts.models import Role
from accounts.rules import administers_centre_id, works_as, works_as_centre_admin
from portfolios.rules import (
    administers_registration_centre,
    assesses_registration,
    is_active_registration,
    is_own_evidence,
    is_own_registration,
    quality_assures_registration_centre,
    verifies_registration,
)

is_superuser = rules.is_superuser

# ---------------------------------------------------------------- assessing

# An assessor assigned to the learner, at the registration's centre, never on their own work.
can_assess = ~is_own_registration & assesses_registration
# Reopening a signed-off unit: the learner's IV (a referral) or a centre admin.
can_unlock_unit = verifies_registration | administers_registration_centre
# The assessing pages (the Assess page of a piece of evidence) are staff pages: whoever sees the
# registration as staff. The learner reads their decisions on their own portfolio pages.
# Ordered cheapest first: with the request's roles loaded, only the assessor and EQA arms query.
can_view_assessment = ~is_own_registration & (
    is_superuser
    | verifies_registration
    | administers_registration_centre
    | assesses_registration
    | quality_assures_registration_centre
)

rules.add_rule("assessments.assess_registration", can_assess)
rules.add_rule("assessments.unlock_unit", can_unlock_unit)
rules.add_perm("assessments.view_assessment", can_view_assessment)
# The learner reads how their own evidence was judged on their page of it (as far as released).
rules.add_rule("assessments.view_own_assessment", is_own_evidence)
# The assessor's queue: the submitted evidence of their learners at the centre worn now.
rules.add_rule("assessments.work_assessor_queue", works_as(Role.ASSESSOR))
# The Plans page: the plans of the learners the role worn gives (a plan follows its
# registration): the assessor's caseload, the IV's covered learners, at the centre worn.
rules.add_rule("assessments.work_caseload_plans", works_as(Role.ASSESSOR, Role.INTERNAL_VERIFIER))

# ---------------------------------------------------------------- validating (issue 7)

# The learner's own internal verifier validates decisions (never their own: the service says so).
rules.add_rule("assessments.validate_registration", verifies_registration)
rules.add_rule("assessments.work_validation_queue", works_as(Role.INTERNAL_VERIFIER))
# Whether decisions wait for validation, per qualification: the centre's admins (by centre id).
rules.add_rule("assessments.set_release", administers_centre_id)
rules.add_rule("assessments.work_release_settings", works_as_centre_admin)

# ---------------------------------------------------------------- coverage of a standard

# The cohort pages: staff, each over the learners their role worn now gives them.
rules.add_rule(
    "assessments.view_cohort",
    works_as(Role.ASSESSOR, Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN, Role.EQA),
)

# ---------------------------------------------------------------- records of achievement

# Asking for a record: the learner, their assessor or IV, a centre admin. An EQA only reads.
can_request_record = (
    is_superuser
    | is_own_registration
    | assesses_registration
    | verifies_registration
    | administers_registration_centre
)
rules.add_perm("assessments.request_record", can_request_record)

# An Open Badge of a record (issue it, download it): the learner's to carry, so the same people
# who may ask for the record; an EQA or an employer reads the portfolio but takes no badge.
can_take_badge = can_request_record
rules.add_perm("assessments.take_badge", can_take_badge)


@rules.predicate
def administers_record_centre(user: Any, record: Any) -> bool:
    # A record names its centre (a claim batch summary has no registration).
    return record is not None and administers_centre_id(user, record.centre_id)


# Withdrawing a record (the verify page then says so): the centre's admins.
can_withdraw_record = is_superuser | administers_record_centre
rules.add_perm("assessments.withdraw_record", can_withdraw_record)


# ---------------------------------------------------------------- assignment briefs (Pearson)
# Pearson BTEC specification, section 8 "Assessment of knowledge units using assignments". The
# specification names no role that writes, issues or extends a brief beyond "assessors" and
# "authorised extensions ... in line with centre policies": here the centre's assessors write
# and issue, the learner's own assessor authorises an extension, the learner hands in.


@rules.predicate
def assesses_at_centre(user: Any, centre: Any) -> bool:
    return centre is not None and has_role_at(user, centre.pk, Role.ASSESSOR)


@rules.predicate
def assesses_at_brief_centre(user: Any, brief: Any) -> bool:
    return brief is not None and has_role_at(user, brief.centre_id, Role.ASSESSOR)


@rules.predicate
def staff_at_brief_centre(user: Any, brief: Any) -> bool:
    return brief is not None and has_role_at(
        user, brief.centre_id, Role.ASSESSOR, Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN
    )


@rules.predicate
def quality_assures_brief(user: Any, brief: Any) -> bool:
    return brief is not None and eqa_may_read(user, brief.centre_id, brief.qualification_id)


@rules.predicate
def learner_given_brief(user: Any, brief: Any) -> bool:
    """An issued brief, and the user is registered on its qualification at its centre."""
    from assessments.models import BriefStatus
    from portfolios.models import Registration

    return (
        brief is not None
        and brief.status == BriefStatus.ISSUED
        and Registration.objects.filter(
            learner_id=user.pk, centre_id=brief.centre_id, qualification_id=brief.qualification_id
        ).exists()
    )


can_view_brief = is_superuser | staff_at_brief_centre | quality_assures_brief | learner_given_brief
rules.add_perm("assessments.view_brief", can_view_brief)
rules.add_rule("assessments.write_brief", assesses_at_centre)
rules.add_rule("assessments.issue_brief", assesses_at_brief_centre)
rules.add_rule("assessments.authorise_extension", can_assess)
rules.add_rule("assessments.hand_in_brief", is_own_registration & is_active_registration)
# The briefs page of the role worn now: staff and EQA read the centre's, a learner their own.
rules.add_rule(
    "assessments.work_briefs",
    works_as(Role.ASSESSOR, Role.INTERNAL_VERIFIER, Role.CENTRE_ADMIN, Role.EQA, Role.LEARNER),
)
