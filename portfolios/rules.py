"""Permissions on registrations, as django-rules predicates.

They mirror Registration.objects.visible_to / manageable_by; tests check both against one truth
table over every role, own/other centre and own/other learner.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import QuerySet

from accounts.access import eqa_may_read, has_role_at
from accounts.models import Role
from accounts.rules import administers_centre, works_as
from core.prepared import Prepared


@rules.predicate
def is_own_registration(user: Any, registration: Any) -> bool:
    return registration is not None and registration.learner_id == user.pk


def _assignment(*, registration: int, user: int) -> QuerySet:
    from portfolios.models import Registration

    return Registration.assessors.through.objects.filter(
        registration_id=registration, user_id=user
    ).values_list("pk")[:1]


# Asked on every page of a registration an assessor opens: compiled once (core.prepared).
ASSIGNMENT = Prepared(_assignment)


@rules.predicate
def assesses_registration(user: Any, registration: Any) -> bool:
    return (
        registration is not None
        and registration.pk is not None
        and has_role_at(user, registration.centre_id, Role.ASSESSOR)
        and bool(ASSIGNMENT.rows(registration=registration.pk, user=user.pk))
    )


@rules.predicate
def verifies_registration(user: Any, registration: Any) -> bool:
    return (
        registration is not None
        and registration.internal_verifier_id == user.pk
        and has_role_at(user, registration.centre_id, Role.INTERNAL_VERIFIER)
    )


@rules.predicate
def administers_registration_centre(user: Any, registration: Any) -> bool:
    return registration is not None and has_role_at(user, registration.centre_id, Role.CENTRE_ADMIN)


@rules.predicate
def quality_assures_registration_centre(user: Any, registration: Any) -> bool:
    # Honours the qualification limit of the EQA's grant, as Registration.visible_to does.
    return registration is not None and eqa_may_read(
        user, registration.centre_id, registration.qualification_id
    )


@rules.predicate
def employs_apprentice(user: Any, registration: Any) -> bool:
    """Issue 19: a contact for the employer the registration's apprenticeship names, at its
    centre (mirrors the EMPLOYER branch of Registration.visible_to). Read-only: no manage or
    assess rule names this predicate."""
    if registration is None or registration.pk is None:
        return False
    if not has_role_at(user, registration.centre_id, Role.EMPLOYER):
        return False
    from accounts.access import employer_ids
    from portfolios.models import Apprenticeship

    return Apprenticeship.objects.filter(
        registration_id=registration.pk, employer_id__in=employer_ids(user)
    ).exists()


is_superuser = rules.is_superuser

# Who reads a registration as the learner or the centre (its staff, its EQA). Cases (appeals,
# adjustments) and IV samples follow this, not can_view_registration: an employer contact reads
# the apprentice's portfolio and programme, not their adjustments or the centre's sampling.
can_view_registration_in_centre = (
    is_superuser
    | is_own_registration
    | assesses_registration
    | verifies_registration
    | administers_registration_centre
    | quality_assures_registration_centre
)
can_view_registration = can_view_registration_in_centre | employs_apprentice
can_manage_registration = is_superuser | administers_registration_centre

rules.add_perm("portfolios.view_registration", can_view_registration)
# What follows a registration for the learner and the centre only (IV samples, cases).
rules.add_perm("portfolios.view_registration_in_centre", can_view_registration_in_centre)
rules.add_perm("portfolios.manage_registration", can_manage_registration)


@rules.predicate
def administers_or_verifies_at_centre(user: Any, centre: Any) -> bool:
    return centre is not None and has_role_at(
        user, centre.pk, Role.CENTRE_ADMIN, Role.INTERNAL_VERIFIER
    )


# Finding any of a centre's registrations by learner (the pickers of the holds page and the
# IV's sampling plan): its admins and internal verifiers, who open holds and sample across the
# centre. Assessors and learners have their own lists; an EQA changes nothing, so picks nothing.
rules.add_perm("portfolios.search_registrations", is_superuser | administers_or_verifies_at_centre)
# The picker itself answers in the role worn now (request.membership), whose centre it searches.
rules.add_rule(
    "portfolios.work_registration_search", works_as(Role.CENTRE_ADMIN, Role.INTERNAL_VERIFIER)
)

# "My portfolio" in the header (evidence:mine): the learner's own portfolios at the centre of
# the role worn now. Only the learner role has one; it leads to their registrations alone.
rules.add_rule("portfolios.work_own_portfolios", works_as(Role.LEARNER))

# Asking a witness for testimony (portfolios.witness): the learner, or an assessor of the
# registration. A rule, as the pages have always asked it: a superuser asks no witness.
rules.add_rule("portfolios.request_witness", is_own_registration | assesses_registration)

# Issue 20: importing a learner's portfolio ZIP exported by another centre (the learner moved):
# the centre's admins, who register its learners. A rule, asked with the centre of the role
# worn now: a superuser is no centre's admin.
rules.add_rule("portfolios.import_portfolio", administers_centre)

# Taking the whole portfolio away as a ZIP: the learner's copy. Staff who can see the
# registration still may not take it.
rules.add_perm("portfolios.export_portfolio", is_superuser | is_own_registration)


# ---------------------------------------------------------------- evidence
# They mirror Evidence.objects.visible_to: evidence follows its registration, except that drafts
# are the learner's alone. Changes are the learner's alone (the services refuse anything that
# is no longer a draft, with a message), so views test these rules with rules.test_rule, which
# does not let superusers through as user.has_perm would.


@rules.predicate
def is_own_evidence(user: Any, evidence: Any) -> bool:
    return evidence is not None and evidence.registration.learner_id == user.pk


@rules.predicate
def is_draft_evidence(user: Any, evidence: Any) -> bool:
    from portfolios.models import EvidenceStatus

    return evidence is not None and evidence.status == EvidenceStatus.DRAFT


@rules.predicate
def can_view_evidence_registration(user: Any, evidence: Any) -> bool:
    return evidence is not None and can_view_registration(user, evidence.registration)


@rules.predicate
def is_active_registration(user: Any, registration: Any) -> bool:
    from portfolios.models import RegistrationStatus

    return registration is not None and registration.status == RegistrationStatus.ACTIVE


@rules.predicate
def is_transferred_evidence(user: Any, evidence: Any) -> bool:
    """Issue 20: evidence that arrived in a portfolio from an earlier centre. It is that
    centre's record: nobody here edits, deletes, versions or withdraws it."""
    return evidence is not None and evidence.transfer_id is not None


can_view_evidence = (
    is_superuser | is_own_evidence | (~is_draft_evidence & can_view_evidence_registration)
)
can_add_evidence = is_own_registration & is_active_registration
can_change_evidence = is_own_evidence & ~is_transferred_evidence

rules.add_perm("portfolios.view_evidence", can_view_evidence)
rules.add_rule("portfolios.add_evidence", can_add_evidence)
# Edit, upload, remove a file, map, sign and submit, delete a draft, start a new version.
rules.add_rule("portfolios.change_evidence", can_change_evidence)


# ---------------------------------------------------------------- simulation agreements
# SFJ Awards, handbook section 4.7: "Simulations must be agreed between SFJ Awards and the
# Centre contact from the Assessment Centre prior to use." The centre contact speaks for the
# centre to the awarding body: its centre admins record the agreement (the project has no
# separate lead-IV role; an IV reads the agreements that govern what they sample). Tested with
# rules.test_rule, so a superuser is no centre's contact.
rules.add_rule("portfolios.record_simulation_agreement", administers_centre)
rules.add_rule("portfolios.view_simulation_agreements", administers_or_verifies_at_centre)


@rules.predicate
def quality_assures_at_centre(user: Any, centre: Any) -> bool:
    return centre is not None and has_role_at(user, centre.pk, Role.EQA)


# The EQA reads the agreements too (they sample the evidence that rests on them), read-only and
# within their grant's qualifications: the page narrows the list with accounts.access.eqa_scope.
rules.add_rule("portfolios.read_simulation_agreements_as_eqa", quality_assures_at_centre)


# ---------------------------------------------------------------- rules of combination
# Recording the rule of combination of a qualification whose document gives none (NCFE
# 601/3973/0), for the centre's own registrations: its admins, who register learners there.
rules.add_perm("portfolios.record_combination_rule", is_superuser | administers_centre)


# ---------------------------------------------------------------- off-the-job training
# The log follows its registration: whoever sees the portfolio sees the hours. The apprentice
# logs and corrects their own; the registration's assessors and IV approve or query. Services
# and views test these as predicates, so a superuser reviews no one's hours.
can_view_off_the_job = can_view_registration
can_log_off_the_job = is_own_registration & is_active_registration
can_review_off_the_job = assesses_registration | verifies_registration

rules.add_perm("portfolios.view_off_the_job", can_view_off_the_job)
rules.add_rule("portfolios.log_off_the_job", can_log_off_the_job)
rules.add_rule("portfolios.review_off_the_job", can_review_off_the_job)

# The cohort's CSV of entries: an assessor over their caseload, a centre admin over the centre,
# in the role worn now (the view narrows the registrations to what that role sees).
rules.add_rule("portfolios.export_off_the_job", works_as(Role.ASSESSOR, Role.CENTRE_ADMIN))

# ---------------------------------------------------------------- the apprentices' cohort
# Issue 19, point 6: the provider's page of apprentices (assessments.cohort) and its CSV, in the
# role worn now: a centre admin over the centre's apprentices, an assessor over those they
# assess, an internal verifier over those they verify (both review the hours:
# can_review_off_the_job). The rows are what that role sees (cohort_registrations). Not the
# learner, the EQA (who samples through their grant, not a caseload) or an employer contact
# (whose apprentices are on their home page): none of them works a cohort.
rules.add_rule(
    "portfolios.work_apprentice_cohort",
    works_as(Role.CENTRE_ADMIN, Role.ASSESSOR, Role.INTERNAL_VERIFIER),
)


# ---------------------------------------------------------------- employer contacts as witnesses
# Issue 19: an apprentice's employer contact is asked for testimony through their account
# (portfolios.witness), and may be asked only about their own apprentices: the same predicate
# that lets them read the portfolio. A rule, so a superuser is no one's witness.
rules.add_rule("portfolios.witness_as_contact", employs_apprentice)


@rules.predicate
def is_asked_contact(user: Any, witness_request: Any) -> bool:
    """The contact this request names, still a contact of the apprentice's employer (the twin
    of WitnessRequest.objects.asked_of)."""
    return (
        witness_request is not None
        and witness_request.witness_user_id is not None
        and witness_request.witness_user_id == getattr(user, "pk", None)
        and employs_apprentice(user, witness_request.registration)
    )


# Writing and signing the testimony asked of them, signed in.
rules.add_rule("portfolios.answer_witness_request", is_asked_contact)
# "Witness requests" in the header: the contact's list of what is asked of them, in the role
# worn now.
rules.add_rule("portfolios.work_witness_requests", works_as(Role.EMPLOYER))


# ---------------------------------------------------------------- progress reviews (issue 19)
# A review follows its registration: whoever sees the portfolio reads its reviews (the employer
# contact their apprentice's). The provider writes them: the registration's assessor, who knows
# the apprentice's work, or the centre's admin, who answers for the programme (the IV samples
# assessment, not the programme, and an EQA acts on nothing). The three signatures are each
# one person's: the apprentice's own, a contact of the apprenticeship's employer, and the
# provider (who may write). The wellbeing and safeguarding notes are the centre staff's alone:
# the assessor, the IV and the admin; never the apprentice, the employer or an EQA. Rules, not
# perms, except reading: a superuser writes, signs and reads the notes of no one's review.
can_view_reviews = can_view_registration
can_write_review = assesses_registration | administers_registration_centre
can_view_review_notes = (
    assesses_registration | verifies_registration | administers_registration_centre
)

rules.add_perm("portfolios.view_reviews", can_view_reviews)
rules.add_rule("portfolios.write_review", can_write_review)
rules.add_rule("portfolios.view_review_notes", can_view_review_notes)
rules.add_rule("portfolios.sign_review_as_apprentice", is_own_registration)
rules.add_rule("portfolios.sign_review_as_employer", employs_apprentice)
rules.add_rule("portfolios.sign_review_as_provider", can_write_review)
# The centre's interval between reviews: its admins, asked with the centre.
rules.add_rule("portfolios.set_review_interval", administers_centre)


# ---------------------------------------------------------------- the end-point assessment gateway
# (issue 19, point 5; the pages and services are assessments.gateway's, which reads decisions.)
# The gateway page follows the registration: whoever sees the portfolio, including the
# apprentice's employer contact, sees the checklist, the declaration and the result.
can_view_gateway = can_view_registration


@rules.predicate
def is_continuing_registration(user: Any, registration: Any) -> bool:
    """Not withdrawn or transferred away: a completed qualification still has its end-point
    assessment ahead (an apprentice's units are often all signed off before the gateway)."""
    from portfolios.models import RegistrationStatus

    return registration is not None and registration.status not in (
        RegistrationStatus.WITHDRAWN,
        RegistrationStatus.TRANSFERRED,
    )


# The three parties to the declaration. The apprentice signs their own; a contact of the
# apprenticeship's employer signs for the employer through their own account; the provider is
# the registration's assessor (who knows the evidence) or a centre admin (who answers for the
# centre), never on their own portfolio. Rules, so a superuser signs for nobody.
can_sign_gateway_as_apprentice = is_own_registration & is_continuing_registration
can_sign_gateway_as_employer = employs_apprentice & is_continuing_registration
provides_for_registration = ~is_own_registration & (
    assesses_registration | administers_registration_centre
)
can_sign_gateway_as_provider = provides_for_registration & is_continuing_registration
# Naming a KSB's gap (what is missing, how the EPA will cover it) is the provider's judgement.
can_name_gateway_gap = provides_for_registration
# Withdrawing the declaration and recording the EPAO's result: the centre's admins, who hold
# the programme record and deal with the end-point assessment organisation.
can_manage_end_point = administers_registration_centre

rules.add_perm("portfolios.view_gateway", can_view_gateway)
rules.add_rule("portfolios.sign_gateway_as_apprentice", can_sign_gateway_as_apprentice)
rules.add_rule("portfolios.sign_gateway_as_employer", can_sign_gateway_as_employer)
rules.add_rule("portfolios.sign_gateway_as_provider", can_sign_gateway_as_provider)
rules.add_rule("portfolios.name_gateway_gap", can_name_gateway_gap)
rules.add_rule("portfolios.manage_end_point", can_manage_end_point)
