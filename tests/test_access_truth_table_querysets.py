"""Who finds what: the `visible_to` querysets not covered by test_access_truth_table.py, one
truth table each, over every role of that file's ROLES (and two EQAs whose grant is limited to
some qualifications) at two centres; and how the claim pages find a claim batch, which has no
queryset of its own.

Each table is a grid: one line per role, one column per kind of object (own centre or other
centre; linked to the person or not). Every cell is the answer the design gives (the models'
docstrings, DESIGN.md), written out. A test per (table, role) lists the queryset for that role,
as is and as a page sees the person (their roles remembered for the request), and asserts it
holds exactly the objects marked Y, nothing more. Where a django-rules permission rules on the
same object, or on what the object follows (its registration), it must agree cell by cell.

The world is built once for the module (tests/support/module_rows.py): the tests only read it.
It is the world of test_access_truth_table.py: the person under test works at the "own" centre
and holds no role at the "other". "Linked" registrations are the learner's own and the ones the
assessors (current, revoked, or holding no role at all) and the internal verifier are assigned
to; "unlinked" ones belong to another learner, assessed and verified by others.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import rules
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.test import RequestFactory

from accounts.context import active_membership
from accounts.models import Employer, Membership, Role
from assessments.cohort import cohort_registrations
from assessments.models import AssessorRecord, AssignmentBrief, BriefStatus, RecordKind
from assessments.models.achievement import AchievementKind, AchievementRecord
from assessments.models.plan import AssessmentPlan
from certification.models import Case, CaseKind, CaseStage, ClaimBatch
from certification.views.common import batch_for
from portfolios.models import (
    CreditTransfer,
    Evidence,
    EvidenceContext,
    EvidenceMethod,
    EvidenceStatus,
    ProgressReview,
    Registration,
)
from qualifications.models import Qualification, Unit
from tests.factories import (
    CentreFactory,
    EmployerFactory,
    RegistrationFactory,
    UserFactory,
    apprentice,
    member,
)
from tests.support.module_rows import made_for_the_module
from tests.test_access_truth_table import ROLES, in_a_request
from verification.models import SampleStage, SamplingStrategy
from verification.models.eqa import EqaPageView
from verification.models.sample import Sample
from verification.models.standardisation import StandardisationMeeting

pytestmark = pytest.mark.django_db

Y, N = True, False

Column = tuple[str, ...]

# The roles of test_access_truth_table.py, and two EQAs at the own centre whose grant names
# qualifications: "one with qualifications opens only those, at that centre" (accounts.access
# .eqa_scope). Every object in this world is on one qualification; one EQA's grant names it, the
# other's names another qualification.
EQA_LIMITED = ["EQA this qual only", "EQA other qual only"]
ALL_ROLES = [*ROLES, *EQA_LIMITED]

# ---------------------------------------------------------------- the expected tables

# Whatever follows a registration has one of these four, as in the registrations' table.
BY_REGISTRATION: tuple[Column, ...] = (
    ("own centre", "linked"),
    ("own centre", "unlinked"),
    ("other centre", "linked"),
    ("other centre", "unlinked"),
)

# Assessment plans (AssessmentPlan.visible_to): "a plan follows its registration: whoever may
# see the portfolio may read its plans".
PLAN = {
    #                        own centre      other centre
    #                        linked unlinked linked unlinked
    "learner":              (Y,     N,       Y,     N),  # their own plans, wherever
    "assessor":             (Y,     N,       N,     N),  # assigned; no role at the other
    "internal verifier":    (Y,     N,       N,     N),
    "centre admin":         (Y,     Y,       N,     N),
    "EQA current":          (Y,     Y,       N,     N),
    "EQA expired":          (N,     N,       N,     N),
    "assessor revoked":     (N,     N,       N,     N),  # still assigned, role gone
    "centre admin revoked": (N,     N,       N,     N),
    "no role":              (N,     N,       N,     N),  # assigned, never held the role
    "employer contact":     (Y,     N,       N,     N),  # their apprentice's (issue 19)
    "superuser":            (Y,     Y,       Y,     Y),
    "anonymous":            (N,     N,       N,     N),
    "EQA this qual only":   (Y,     Y,       N,     N),
    "EQA other qual only":  (N,     N,       N,     N),
}  # fmt: skip

# Samples (Sample.visible_to): "a sample follows its registration (another centre's answers
# 404); the views then say who may read it". A linked registration's sample is by the internal
# verifier under test; an unlinked one's by another verifier at that centre.
SAMPLE = {
    #                        own centre      other centre
    #                        linked unlinked linked unlinked
    "learner":              (Y,     N,       Y,     N),  # found; the sample pages say 403
    "assessor":             (Y,     N,       N,     N),
    "internal verifier":    (Y,     N,       N,     N),  # their own sample; not another's
    "centre admin":         (Y,     Y,       N,     N),
    "EQA current":          (Y,     Y,       N,     N),  # the samples are what an EQA reads
    "EQA expired":          (N,     N,       N,     N),  # time-limited access, now over
    "assessor revoked":     (N,     N,       N,     N),
    "centre admin revoked": (N,     N,       N,     N),
    "no role":              (N,     N,       N,     N),
    "employer contact":     (N,     N,       N,     N),  # the centre's sampling, not theirs
    "superuser":            (Y,     Y,       Y,     Y),
    "anonymous":            (N,     N,       N,     N),
    "EQA this qual only":   (Y,     Y,       N,     N),
    "EQA other qual only":  (N,     N,       N,     N),
}  # fmt: skip

# Assessor records (AssessorRecord.visible_to): "a record follows its evidence (and so its
# registration)". The record's evidence is submitted as the assessor signs it, never a draft.
ASSESSOR_RECORD = {
    #                        own centre      other centre
    #                        linked unlinked linked unlinked
    "learner":              (Y,     N,       Y,     N),  # theirs to acknowledge
    "assessor":             (Y,     N,       N,     N),
    "internal verifier":    (Y,     N,       N,     N),
    "centre admin":         (Y,     Y,       N,     N),
    "EQA current":          (Y,     Y,       N,     N),
    "EQA expired":          (N,     N,       N,     N),
    "assessor revoked":     (N,     N,       N,     N),
    "centre admin revoked": (N,     N,       N,     N),
    "no role":              (N,     N,       N,     N),
    "employer contact":     (Y,     N,       N,     N),  # their apprentice's
    "superuser":            (Y,     Y,       Y,     Y),
    "anonymous":            (N,     N,       N,     N),
    "EQA this qual only":   (Y,     Y,       N,     N),
    "EQA other qual only":  (N,     N,       N,     N),
}  # fmt: skip

# Evidence (Evidence.visible_to): it follows its registration, "except that drafts are the
# learner's alone" (a superuser sees everything, as portfolios.view_evidence says).
EVIDENCE_COLUMNS: tuple[Column, ...] = tuple(
    (centre, relation, status)
    for centre, relation in BY_REGISTRATION
    for status in ("submitted", "draft")
)
EVIDENCE = {
    #                        own centre                   other centre
    #                        linked       unlinked        linked       unlinked
    #                        sub   draft  sub   draft     sub   draft  sub   draft
    "learner":              (Y,    Y,     N,    N,        Y,    Y,     N,    N),
    "assessor":             (Y,    N,     N,    N,        N,    N,     N,    N),
    "internal verifier":    (Y,    N,     N,    N,        N,    N,     N,    N),
    "centre admin":         (Y,    N,     Y,    N,        N,    N,     N,    N),
    "EQA current":          (Y,    N,     Y,    N,        N,    N,     N,    N),
    "EQA expired":          (N,    N,     N,    N,        N,    N,     N,    N),
    "assessor revoked":     (N,    N,     N,    N,        N,    N,     N,    N),
    "centre admin revoked": (N,    N,     N,    N,        N,    N,     N,    N),
    "no role":              (N,    N,     N,    N,        N,    N,     N,    N),
    "employer contact":     (Y,    N,     N,    N,        N,    N,     N,    N),  # no drafts
    "superuser":            (Y,    Y,     Y,    Y,        Y,    Y,     Y,    Y),
    "anonymous":            (N,    N,     N,    N,        N,    N,     N,    N),
    "EQA this qual only":   (Y,    N,     Y,    N,        N,    N,     N,    N),
    "EQA other qual only":  (N,    N,     N,    N,        N,    N,     N,    N),
}  # fmt: skip

# Achievement records (AchievementRecord.visible_to): "a learner's records follow the
# registration; a centre's records (claim batch summaries) are its admins' alone, as the claim
# pages are" (and an EQA, who reads the claim pages, does not get the summaries either).
ACHIEVEMENT_COLUMNS: tuple[Column, ...] = (
    *BY_REGISTRATION,
    ("own centre", "centre's record"),
    ("other centre", "centre's record"),
)
ACHIEVEMENT = {
    #                        own centre      other centre     centre's record
    #                        linked unlinked linked unlinked  own   other
    "learner":              (Y,     N,       Y,     N,        N,    N),
    "assessor":             (Y,     N,       N,     N,        N,    N),
    "internal verifier":    (Y,     N,       N,     N,        N,    N),
    "centre admin":         (Y,     Y,       N,     N,        Y,    N),
    "EQA current":          (Y,     Y,       N,     N,        N,    N),
    "EQA expired":          (N,     N,       N,     N,        N,    N),
    "assessor revoked":     (N,     N,       N,     N,        N,    N),
    "centre admin revoked": (N,     N,       N,     N,        N,    N),
    "no role":              (N,     N,       N,     N,        N,    N),
    "employer contact":     (Y,     N,       N,     N,        N,    N),  # their apprentice's
    "superuser":            (Y,     Y,       Y,     Y,        Y,    Y),
    "anonymous":            (N,     N,       N,     N,        N,    N),
    "EQA this qual only":   (Y,     Y,       N,     N,        N,    N),
    "EQA other qual only":  (N,     N,       N,     N,        N,    N),
}  # fmt: skip

# Sampling strategies (SamplingStrategy.visible_to): "anyone with a role at the centre finds the
# strategy (the views then say who may act: learners and assessors get 403); people from other
# centres do not (404)". A role means a current one.
STRATEGY_COLUMNS: tuple[Column, ...] = (("own centre",), ("other centre",))
STRATEGY = {
    #                        own  other
    "learner":              (Y,   N),
    "assessor":             (Y,   N),
    "internal verifier":    (Y,   N),
    "centre admin":         (Y,   N),
    "EQA current":          (Y,   N),
    "EQA expired":          (N,   N),
    "assessor revoked":     (N,   N),
    "centre admin revoked": (N,   N),
    "no role":              (N,   N),
    "employer contact":     (Y,   N),  # found, as by a learner; the pages say 403
    "superuser":            (Y,   Y),
    "anonymous":            (N,   N),
    "EQA this qual only":   (Y,   N),
    "EQA other qual only":  (Y,   N),  # a role at the centre: found, the page answers 404
}  # fmt: skip

# Standardisation meetings. Everyone but the anonymous is listed as having attended the
# "attended" ones (the service lists only the centre's staff; listing everyone shows that
# attending alone opens nothing without a current role).
MEETING_COLUMNS: tuple[Column, ...] = (
    ("own centre", "attended"),
    ("own centre", "not attended"),
    ("other centre", "attended"),
    ("other centre", "not attended"),
)
# Found (visible_to): "meetings at any centre where the person holds a role: the views then say
# who may read (learners, and assessors who did not attend, get 403); other centres' meetings
# are not found (404)".
MEETING_FOUND = {
    #                        own centre             other centre
    #                        attended not attended  attended not attended
    "learner":              (Y,       Y,            N,       N),
    "assessor":             (Y,       Y,            N,       N),
    "internal verifier":    (Y,       Y,            N,       N),
    "centre admin":         (Y,       Y,            N,       N),
    "EQA current":          (Y,       Y,            N,       N),
    "EQA expired":          (N,       N,            N,       N),
    "assessor revoked":     (N,       N,            N,       N),
    "centre admin revoked": (N,       N,            N,       N),
    "no role":              (N,       N,            N,       N),
    "employer contact":     (Y,       Y,            N,       N),  # found; the pages say 403
    "superuser":            (Y,       Y,            Y,       Y),
    "anonymous":            (N,       N,            N,       N),
    "EQA this qual only":   (Y,       Y,            N,       N),
    "EQA other qual only":  (Y,       Y,            N,       N),  # found; not read, below
}  # fmt: skip
# Read (readable_by): "every one at centres where they verify, administer or quality-assure; as
# an assessor only those they attended".
MEETING_READ = {
    #                        own centre             other centre
    #                        attended not attended  attended not attended
    "learner":              (N,       N,            N,       N),
    "assessor":             (Y,       N,            N,       N),
    "internal verifier":    (Y,       Y,            N,       N),
    "centre admin":         (Y,       Y,            N,       N),
    "EQA current":          (Y,       Y,            N,       N),
    "EQA expired":          (N,       N,            N,       N),
    "assessor revoked":     (N,       N,            N,       N),  # attended, role gone
    "centre admin revoked": (N,       N,            N,       N),
    "no role":              (N,       N,            N,       N),
    "employer contact":     (N,       N,            N,       N),
    "superuser":            (Y,       Y,            Y,       Y),
    "anonymous":            (N,       N,            N,       N),
    "EQA this qual only":   (Y,       Y,            N,       N),
    "EQA other qual only":  (N,       N,            N,       N),
}  # fmt: skip

# The EQA page log (EqaPageView.visible_to): "the admins of a centre see its visits; the EQA
# sees their own". Pages opened at each centre by the current EQA under test, by the expired
# one (before their access ended) and by another EQA of that centre. The log is of the EQA's
# own steps, so an EQA keeps seeing it after the grant ends, wherever it was.
EQA_VIEW_COLUMNS: tuple[Column, ...] = tuple(
    (centre, by)
    for centre in ("own centre", "other centre")
    for by in ("by EQA current", "by EQA expired", "by another EQA")
)
EQA_VIEW = {
    #                        own centre                other centre
    #                        current expired another   current expired another
    "learner":              (N,      N,      N,        N,      N,      N),
    "assessor":             (N,      N,      N,        N,      N,      N),
    "internal verifier":    (N,      N,      N,        N,      N,      N),
    "centre admin":         (Y,      Y,      Y,        N,      N,      N),
    "EQA current":          (Y,      N,      N,        Y,      N,      N),
    "EQA expired":          (N,      Y,      N,        N,      Y,      N),
    "assessor revoked":     (N,      N,      N,        N,      N,      N),
    "centre admin revoked": (N,      N,      N,        N,      N,      N),
    "no role":              (N,      N,      N,        N,      N,      N),
    "employer contact":     (N,      N,      N,        N,      N,      N),
    "superuser":            (Y,      Y,      Y,        Y,      Y,      Y),
    "anonymous":            (N,      N,      N,        N,      N,      N),
    "EQA this qual only":   (N,      N,      N,        N,      N,      N),
    "EQA other qual only":  (N,      N,      N,        N,      N,      N),
}  # fmt: skip


# Claim batches have no visible_to: the claim pages find a batch through
# certification.views.common.batch_for, in "the role the person works in now" (centre admins
# act, an EQA reads, anyone else 403; another centre's batch 404). A superuser holding no role
# works at no centre, so has no claims to read (the admin site is theirs). The answer per row:
# the batch is read, or 403, or 404.
READ = "read"
CLAIM_BATCH_COLUMNS: tuple[Column, ...] = (("own centre",), ("other centre",))
CLAIM_BATCH = {
    #                        own      other
    "learner":              (403,     403),
    "assessor":             (403,     403),
    "internal verifier":    (403,     403),  # reads holds, not batches
    "centre admin":         (READ,    404),
    "EQA current":          (READ,    404),
    "EQA expired":          (403,     403),
    "assessor revoked":     (403,     403),
    "centre admin revoked": (403,     403),
    "no role":              (403,     403),
    "employer contact":     (403,     403),
    "superuser":            (403,     403),
    "anonymous":            (403,     403),  # the pages send them to sign in first
    "EQA this qual only":   (READ,    404),
    "EQA other qual only":  (READ,    404),  # the batch, its lines limited to the grant
}  # fmt: skip


# Assignment briefs (AssignmentBrief.visible_to, Pearson BTEC section 8): the centre's staff
# and its EQA (within the grant) read every brief there, drafts too; a learner reads the issued
# briefs of the qualification they are registered on at that centre (the world's learner is, at
# both centres).
BRIEF_COLUMNS: tuple[Column, ...] = (
    ("own centre", "draft"),
    ("own centre", "issued"),
    ("other centre", "draft"),
    ("other centre", "issued"),
)
BRIEF = {
    #                        own centre      other centre
    #                        draft  issued   draft  issued
    "learner":              (N,     Y,       N,     Y),
    "assessor":             (Y,     Y,       N,     N),
    "internal verifier":    (Y,     Y,       N,     N),
    "centre admin":         (Y,     Y,       N,     N),
    "EQA current":          (Y,     Y,       N,     N),
    "EQA expired":          (N,     N,       N,     N),
    "assessor revoked":     (N,     N,       N,     N),
    "centre admin revoked": (N,     N,       N,     N),
    "no role":              (N,     N,       N,     N),
    "employer contact":     (N,     N,       N,     N),
    "superuser":            (Y,     Y,       Y,     Y),
    "anonymous":            (N,     N,       N,     N),
    "EQA this qual only":   (Y,     Y,       N,     N),
    "EQA other qual only":  (N,     N,       N,     N),
}  # fmt: skip


# Cases: reasonable adjustments, special consideration, appeals, malpractice
# (Case.visible_to): "the cases of the registrations the person sees ... and every case at a
# centre where they are an internal verifier (the lead IV takes the first stage of any appeal
# there)".
CASE = {
    #                        own centre      other centre
    #                        linked unlinked linked unlinked
    "learner":              (Y,     N,       Y,     N),  # their own, wherever
    "assessor":             (Y,     N,       N,     N),  # their caseload's
    "internal verifier":    (Y,     Y,       N,     N),  # every case at their centre
    "centre admin":         (Y,     Y,       N,     N),
    "EQA current":          (Y,     Y,       N,     N),  # read-only
    "EQA expired":          (N,     N,       N,     N),
    "assessor revoked":     (N,     N,       N,     N),
    "centre admin revoked": (N,     N,       N,     N),
    "no role":              (N,     N,       N,     N),
    "employer contact":     (N,     N,       N,     N),  # appeals, adjustments: not theirs
    "superuser":            (Y,     Y,       Y,     Y),
    "anonymous":            (N,     N,       N,     N),
    "EQA this qual only":   (Y,     Y,       N,     N),
    "EQA other qual only":  (N,     N,       N,     N),
}  # fmt: skip


# Employers (Employer.visible_to, issue 19): "a centre's admins see them all, an employer
# contact their own". The employer contact under test speaks for "theirs" at the own centre.
EMPLOYER_COLUMNS: tuple[Column, ...] = (
    ("own centre", "theirs"),
    ("own centre", "another"),
    ("other centre", "another"),
)
EMPLOYER = {
    #                        own centre      other centre
    #                        theirs another  another
    "learner":              (N,     N,       N),
    "assessor":             (N,     N,       N),
    "internal verifier":    (N,     N,       N),
    "centre admin":         (Y,     Y,       N),
    "EQA current":          (N,     N,       N),
    "EQA expired":          (N,     N,       N),
    "assessor revoked":     (N,     N,       N),
    "centre admin revoked": (N,     N,       N),
    "no role":              (N,     N,       N),
    "employer contact":     (Y,     N,       N),  # their own; never another's, here or there
    "superuser":            (Y,     Y,       Y),
    "anonymous":            (N,     N,       N),
    "EQA this qual only":   (N,     N,       N),
    "EQA other qual only":  (N,     N,       N),
}  # fmt: skip

# Changed (Employer.manageable_by): "the centre's admins"; a contact only reads their own.
EMPLOYER_MANAGED = {
    #                        own centre      other centre
    #                        theirs another  another
    "learner":              (N,     N,       N),
    "assessor":             (N,     N,       N),
    "internal verifier":    (N,     N,       N),
    "centre admin":         (Y,     Y,       N),
    "EQA current":          (N,     N,       N),
    "EQA expired":          (N,     N,       N),
    "assessor revoked":     (N,     N,       N),
    "centre admin revoked": (N,     N,       N),
    "no role":              (N,     N,       N),
    "employer contact":     (N,     N,       N),
    "superuser":            (Y,     Y,       Y),
    "anonymous":            (N,     N,       N),
    "EQA this qual only":   (N,     N,       N),
    "EQA other qual only":  (N,     N,       N),
}  # fmt: skip

# The apprentices' cohort (assessments.cohort.cohort_registrations, issue 19): "at the centre of
# the role worn now, what that role sees, with a programme record". Listed here for each current
# membership that passes portfolios.work_apprentice_cohort (the page refuses the others). The
# own centre has a third registration of the linked people with no programme record.
COHORT_COLUMNS: tuple[Column, ...] = (
    ("own centre", "linked"),
    ("own centre", "unlinked"),
    ("own centre", "linked, not an apprenticeship"),
    ("other centre", "linked"),
    ("other centre", "unlinked"),
)
COHORT = {
    #                        own centre                   other centre
    #                        linked unlinked not appr.    linked unlinked
    "learner":              (N,     N,       N,           N,     N),  # no cohort to work
    "assessor":             (Y,     N,       N,           N,     N),  # those they assess
    "internal verifier":    (Y,     N,       N,           N,     N),  # those they verify
    "centre admin":         (Y,     Y,       N,           N,     N),  # the centre's apprentices
    "EQA current":          (N,     N,       N,           N,     N),
    "EQA expired":          (N,     N,       N,           N,     N),
    "assessor revoked":     (N,     N,       N,           N,     N),
    "centre admin revoked": (N,     N,       N,           N,     N),
    "no role":              (N,     N,       N,           N,     N),
    "employer contact":     (N,     N,       N,           N,     N),  # refused, their own too
    "superuser":            (N,     N,       N,           N,     N),  # wears no role
    "anonymous":            (N,     N,       N,           N,     N),
    "EQA this qual only":   (N,     N,       N,           N,     N),
    "EQA other qual only":  (N,     N,       N,           N,     N),
}  # fmt: skip


def _cohort(user: Any) -> QuerySet:
    """The cohort pages' registrations over every current membership the page lets in."""
    if not user.is_authenticated:
        return Registration.objects.none()
    listed = Registration.objects.none()
    for membership in Membership.objects.current().filter(user_id=user.pk):
        if rules.test_rule("portfolios.work_apprentice_cohort", user, membership):
            listed |= cohort_registrations(user, membership)
    return listed


# ---------------------------------------------------------------- how each table is checked


def _registration_perm(record: Any) -> tuple[str, Any]:
    return "portfolios.view_registration", record.registration


def _centre_registration_perm(record: Any) -> tuple[str, Any]:
    """Samples follow the registration as the learner and the centre read it: not an employer
    contact (issue 19)."""
    return "portfolios.view_registration_in_centre", record.registration


def _achievement_perm(record: AchievementRecord) -> tuple[str, Any]:
    if record.registration_id is None:
        # A centre's record: its admins', as the claim pages (certification.manage_claims).
        return "certification.manage_claims", record.centre_id
    return _registration_perm(record)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    expected: Mapping[str, tuple[bool, ...]]
    # The queryset under test, for one person.
    listed: Callable[[Any], QuerySet]
    # The objects the table is about (a key of World.made): two tables may share them.
    made: str = ""
    # The permission that rules on the same object (or what it follows), if any, and every name
    # it may answer with (what test_every_permission_and_rule_of_the_apps_is_in_a_truth_table
    # counts as tabled).
    perm: Callable[[Any], tuple[str, Any]] | None = None
    perms: tuple[str, ...] = ()

    @property
    def objects(self) -> str:
        return self.made or self.name


TABLES = [
    Table(
        "employer",
        EMPLOYER_COLUMNS,
        EMPLOYER,
        lambda user: Employer.objects.visible_to(user),
        perm=lambda employer: ("accounts.view_employer", employer),
        perms=("accounts.view_employer",),
    ),
    Table(
        "employer managed",
        EMPLOYER_COLUMNS,
        EMPLOYER_MANAGED,
        lambda user: Employer.objects.manageable_by(user),
        made="employer",
        perm=lambda employer: ("accounts.change_employer", employer),
        perms=("accounts.change_employer",),
    ),
    Table(
        "evidence",
        EVIDENCE_COLUMNS,
        EVIDENCE,
        lambda user: Evidence.objects.visible_to(user),
        perm=lambda evidence: ("portfolios.view_evidence", evidence),
        perms=("portfolios.view_evidence",),
    ),
    Table(
        "assessor record",
        BY_REGISTRATION,
        ASSESSOR_RECORD,
        lambda user: AssessorRecord.objects.visible_to(user),
        perm=lambda record: ("portfolios.view_evidence", record.evidence),
        perms=("portfolios.view_evidence",),
    ),
    Table(
        "assessment plan",
        BY_REGISTRATION,
        PLAN,
        lambda user: AssessmentPlan.objects.visible_to(user),
        perm=_registration_perm,
        perms=("portfolios.view_registration",),
    ),
    Table(
        "sample",
        BY_REGISTRATION,
        SAMPLE,
        lambda user: Sample.objects.visible_to(user),
        perm=_centre_registration_perm,
        perms=("portfolios.view_registration_in_centre",),
    ),
    Table(
        "achievement record",
        ACHIEVEMENT_COLUMNS,
        ACHIEVEMENT,
        lambda user: AchievementRecord.objects.visible_to(user),
        perm=_achievement_perm,
        perms=("certification.manage_claims", "portfolios.view_registration"),
    ),
    Table(
        "sampling strategy",
        STRATEGY_COLUMNS,
        STRATEGY,
        lambda user: SamplingStrategy.objects.visible_to(user),
    ),
    Table(
        "meeting found",
        MEETING_COLUMNS,
        MEETING_FOUND,
        lambda user: StandardisationMeeting.objects.visible_to(user),
        made="meeting",
    ),
    Table(
        "meeting read",
        MEETING_COLUMNS,
        MEETING_READ,
        lambda user: StandardisationMeeting.objects.readable_by(user),
        made="meeting",
    ),
    Table(
        "EQA page view",
        EQA_VIEW_COLUMNS,
        EQA_VIEW,
        lambda user: EqaPageView.objects.visible_to(user),
    ),
    Table(
        "assignment brief",
        BRIEF_COLUMNS,
        BRIEF,
        lambda user: AssignmentBrief.objects.visible_to(user),
        perm=lambda brief: ("assessments.view_brief", brief),
        perms=("assessments.view_brief",),
    ),
    Table(
        "case",
        BY_REGISTRATION,
        CASE,
        lambda user: Case.objects.visible_to(user),
        perm=lambda case: ("certification.view_case", case),
        perms=("certification.view_case",),
    ),
    Table("apprentice cohort", COHORT_COLUMNS, COHORT, _cohort),
    # Credit transfers (CreditTransfer.visible_to, issue 17): "a transfer follows its
    # registration: whoever sees the portfolio sees it", exactly as a plan does.
    # Progress reviews (ProgressReview.visible_to, issue 19): "a review follows its registration:
    # whoever sees the portfolio reads its reviews", the employer contact their apprentice's.
    Table(
        "progress review",
        BY_REGISTRATION,
        PLAN,
        lambda user: ProgressReview.objects.visible_to(user),
        perm=lambda review: ("portfolios.view_reviews", review.registration),
        perms=("portfolios.view_reviews",),
    ),
    Table(
        "credit transfer",
        BY_REGISTRATION,
        PLAN,
        lambda user: CreditTransfer.objects.visible_to(user),
        perm=_registration_perm,
        perms=("portfolios.view_registration",),
    ),
]


def test_every_table_has_a_line_for_every_role_and_a_cell_for_every_column() -> None:
    for table in TABLES:
        assert list(table.expected) == ALL_ROLES, table.name
        for role, answers in table.expected.items():
            assert len(answers) == len(table.columns), (table.name, role)
    assert list(CLAIM_BATCH) == ALL_ROLES
    assert all(len(answers) == len(CLAIM_BATCH_COLUMNS) for answers in CLAIM_BATCH.values())
    # 14 roles, 69 kinds of object (4 of them credit transfers, 4 progress reviews, 6
    # employers, 5 the cohort's registrations) and the claim batches' 2.
    assert sum(len(t.columns) * len(t.expected) for t in TABLES) == 14 * 69
    # A table names its permissions exactly when it asks one.
    assert all(bool(t.perms) is (t.perm is not None) for t in TABLES)


# Every permission a table of this file asks, by name.
TABLED = {name for table in TABLES for name in table.perms}


# ---------------------------------------------------------------- the world


@dataclass
class World:
    actors: dict[str, Any]
    # Table objects -> column -> the object in that cell.
    made: dict[str, dict[Column, Model]]


def _evidence(registration: Any, status: str, by: Any) -> Evidence:
    return Evidence.objects.create(
        registration=registration,
        title=f"{status.capitalize()} evidence",
        evidence_date=datetime.date(2026, 3, 2),
        method=EvidenceMethod.OBSERVATION,
        context=EvidenceContext.REAL_WORK_PAID,
        status=status,
        created_by=by,
    )


def _build() -> World:
    today = datetime.date.today()
    own, other = CentreFactory(), CentreFactory()
    qualification = Qualification.objects.get(number="601/3456/2")
    for centre in (own, other):
        centre.qualifications.add(qualification)

    def revoked(role: str) -> Any:
        person = member(own, role)
        Membership.objects.filter(user=person).update(is_active=False)
        return person

    expired_eqa = member(own, Role.EQA)
    Membership.objects.filter(user=expired_eqa).update(
        expires_on=today - datetime.timedelta(days=1)
    )
    actors: dict[str, Any] = {
        "learner": member(own, Role.LEARNER),
        "assessor": member(own, Role.ASSESSOR),
        "internal verifier": member(own, Role.INTERNAL_VERIFIER),
        "centre admin": member(own, Role.CENTRE_ADMIN),
        "EQA current": member(own, Role.EQA),
        "EQA expired": expired_eqa,
        "assessor revoked": revoked(Role.ASSESSOR),
        "centre admin revoked": revoked(Role.CENTRE_ADMIN),
        "no role": UserFactory(),
        # Issue 19: a contact for one of the own centre's employers, whose apprentices are none
        # of these registrations' learners: they see no portfolio, and are no staff.
        "employer contact": member(own, Role.EMPLOYER),
        "superuser": UserFactory(is_superuser=True, is_staff=True),
        "anonymous": AnonymousUser(),
        "EQA this qual only": member(own, Role.EQA),
        "EQA other qual only": member(own, Role.EQA),
    }
    assert list(actors) == ALL_ROLES
    elsewhere = Qualification.objects.exclude(pk=qualification.pk).order_by("pk").first()
    for role, named in (("EQA this qual only", qualification), ("EQA other qual only", elsewhere)):
        actors[role].memberships.get().qualifications.set([named])
    people = [actor for actor in actors.values() if actor.is_authenticated]
    assigned = [actors["assessor"], actors["assessor revoked"], actors["no role"]]
    made: dict[str, dict[Column, Model]] = {
        name: {}
        for name in (
            "evidence",
            "assessor record",
            "assessment plan",
            "sample",
            "achievement record",
            "sampling strategy",
            "meeting",
            "EQA page view",
            "claim batch",
            "assignment brief",
            "case",
            "credit transfer",
            "employer",
            "apprentice cohort",
            "progress review",
        )
    }
    made["employer"] = {
        ("own centre", "theirs"): actors["employer contact"].memberships.get().employer,
        ("own centre", "another"): EmployerFactory(centre=own),
        ("other centre", "another"): EmployerFactory(centre=other),
    }

    for name, centre in (("own centre", own), ("other centre", other)):
        admin = member(centre, Role.CENTRE_ADMIN)
        # The unlinked registration's people: another learner, assessor and verifier there.
        someone, their_assessor = member(centre, Role.LEARNER), member(centre, Role.ASSESSOR)
        their_verifier = member(centre, Role.INTERNAL_VERIFIER)
        linked = RegistrationFactory(
            centre=centre,
            learner=actors["learner"],
            internal_verifier=actors["internal verifier"],
        )
        linked.assessors.set(assigned)
        # Issue 19: the linked learner is an apprentice; at the own centre, of the employer
        # the employer contact speaks for; at the other, of an employer kept there.
        contact = actors["employer contact"].memberships.get()
        theirs = made["employer"][("other centre", "another")]
        apprentice(linked, contact.employer if centre == own else theirs)
        unlinked = RegistrationFactory(
            centre=centre, learner=someone, internal_verifier=their_verifier
        )
        unlinked.assessors.set([their_assessor])
        # The cohort's (issue 19): the linked apprentice, another learner's apprenticeship with
        # their staff, and at the own centre a registration of the linked people that is none.
        made["apprentice cohort"][(name, "linked")] = linked
        # On another qualification: one registration per learner, qualification and centre.
        other_apprentice = RegistrationFactory(
            centre=centre,
            learner=someone,
            qualification=elsewhere,
            internal_verifier=their_verifier,
        )
        other_apprentice.assessors.set([their_assessor])
        another = made["employer"][(name, "another")]
        apprentice(other_apprentice, another)
        made["apprentice cohort"][(name, "unlinked")] = other_apprentice
        if centre == own:
            not_one = RegistrationFactory(
                centre=centre,
                learner=actors["learner"],
                qualification=elsewhere,
                internal_verifier=actors["internal verifier"],
            )
            not_one.assessors.set(assigned)
            made["apprentice cohort"][(name, "linked, not an apprenticeship")] = not_one
        for relation, registration, assessor, verifier in (
            ("linked", linked, actors["assessor"], actors["internal verifier"]),
            ("unlinked", unlinked, their_assessor, their_verifier),
        ):
            cell = (name, relation)
            learner = registration.learner
            submitted = _evidence(registration, EvidenceStatus.SUBMITTED, learner)
            made["evidence"][(*cell, "submitted")] = submitted
            made["evidence"][(*cell, "draft")] = _evidence(
                registration, EvidenceStatus.DRAFT, learner
            )
            # The assessor's record is the submitted evidence's: submitted as it is signed.
            made["assessor record"][cell] = AssessorRecord.objects.create(
                evidence=submitted,
                kind=RecordKind.OBSERVATION,
                occurred_on=datetime.date(2026, 3, 2),
                place="The salon",
                account="Watched the whole service.",
                assessor=assessor,
                content_hash="0" * 64,
            )
            made["progress review"][cell] = ProgressReview.objects.create(
                registration=registration,
                review_date=datetime.date(2026, 3, 2),
                written_by=assessor,
                progress_comment="On track",
                targets="One",
            )
            made["assessment plan"][cell] = AssessmentPlan.objects.create(
                registration=registration, title="Plan", created_by=assessor
            )
            made["credit transfer"][cell] = CreditTransfer.objects.create(
                registration=registration,
                unit=Unit.objects.filter(memberships__qualification=qualification).first(),
                source_unit_reference="A/000/0000",
                certificate_reference="C1",
                achieved_on=datetime.date(2026, 3, 2),
                recorded_by=admin,
            )
            made["sample"][cell] = Sample.objects.create(
                registration=registration,
                stage=SampleStage.INTERIM,
                verifier=verifier,
                snapshot={},
                snapshot_hash="0" * 64,
            )
            made["achievement record"][cell] = AchievementRecord.objects.create(
                registration=registration,
                centre=centre,
                kind=AchievementKind.FULL,
                content={},
                content_hash=f"{relation}".ljust(64, "0"),
                site_url="http://testserver",
            )
            made["case"][cell] = Case.objects.create(
                registration=registration,
                kind=CaseKind.APPEAL,
                stage=CaseStage.LEAD_IV,
                details="An appeal",
                raised_by=learner,
                raised_at=datetime.datetime.now(datetime.UTC),
            )
        made["achievement record"][(name, "centre's record")] = AchievementRecord.objects.create(
            registration=None,
            centre=centre,
            kind=AchievementKind.CLAIM_SUMMARY,
            subject="Claim batch 1",
            subject_key="claim_batch:1",
            content={},
            content_hash="c" * 64,
            site_url="http://testserver",
        )
        made["sampling strategy"][(name,)] = SamplingStrategy.objects.create(
            centre=centre, qualification=qualification, updated_by=admin
        )
        for attended in ("attended", "not attended"):
            meeting = StandardisationMeeting.objects.create(
                centre=centre,
                qualification=qualification,
                title=f"Standardising ({attended})",
                held_on=today,
                recorded_by=admin,
            )
            if attended == "attended":
                meeting.attendees.set(people)
            made["meeting"][(name, attended)] = meeting
        by_whom = {
            "by EQA current": actors["EQA current"],
            "by EQA expired": expired_eqa,
            "by another EQA": member(centre, Role.EQA),
        }
        for by, eqa in by_whom.items():
            made["EQA page view"][(name, by)] = EqaPageView.objects.create(
                user=eqa, centre=centre, method="GET", path="/verification/", status=200
            )
        made["claim batch"][(name,)] = ClaimBatch.objects.create(
            centre=centre, awarding_body=qualification.awarding_body, created_by=admin
        )
        for state in (BriefStatus.DRAFT, BriefStatus.ISSUED):
            made["assignment brief"][(name, state.value)] = AssignmentBrief.objects.create(
                centre=centre,
                qualification=qualification,
                unit=Unit.objects.filter(memberships__qualification=qualification).first(),
                title=f"Brief ({state.label})",
                scenario="A contact centre",
                audience="New starters",
                tasks="Task 1",
                start_date=today,
                hand_in_date=today + datetime.timedelta(days=14),
                status=state,
                issued_at=datetime.datetime.now(datetime.UTC)
                if state == BriefStatus.ISSUED
                else None,
                written_by=admin,
            )
    return World(actors=actors, made=made)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with made_for_the_module(django_db_blocker, _build) as built:
        yield built


# ---------------------------------------------------------------- the checks


def _params() -> list[Any]:
    return [
        pytest.param(table, role, id=f"{table.name}|{role}")
        for table in TABLES
        for role in ALL_ROLES
    ]


def _listed(table: Table, user: Any, cells: dict[Column, Model]) -> set[Any]:
    """The cells whose objects the queryset lists; any row outside the world shows as itself."""
    by_pk = {obj.pk: column for column, obj in cells.items()}
    pks = table.listed(user).values_list("pk", flat=True)
    return {by_pk.get(pk, ("not in the world", pk)) for pk in pks}


@pytest.mark.parametrize(("table", "role"), _params())
def test_queryset_lists_exactly_what_the_table_says(world: World, table: Table, role: str) -> None:
    actor = world.actors[role]
    cells = world.made[table.objects]
    expected = {
        column for column, answer in zip(table.columns, table.expected[role], strict=True) if answer
    }

    assert _listed(table, actor, cells) == expected
    assert _listed(table, in_a_request(actor), cells) == expected
    if table.perm is not None:
        for column, obj in cells.items():
            perm, target = table.perm(obj)
            assert perm in table.perms, perm
            assert actor.has_perm(perm, target) is (column in expected), column


def _finds_batch(actor: Any, batch: ClaimBatch) -> str | int:
    """What the claim pages answer this person for this batch (a GET, as batch_detail's)."""
    request = RequestFactory().get(f"/claims/batches/{batch.pk}/")
    request.user = in_a_request(actor)
    request.session = {}  # type: ignore[assignment]
    request.membership = active_membership(request)  # type: ignore[attr-defined]
    try:
        batch_for(request, batch.pk)
    except PermissionDenied:
        return 403
    except Http404:
        return 404
    return READ


@pytest.mark.parametrize("role", ALL_ROLES)
def test_claim_pages_find_a_batch_as_the_table_says(world: World, role: str) -> None:
    actor = world.actors[role]
    found = {
        column: _finds_batch(actor, batch) for column, batch in world.made["claim batch"].items()
    }

    assert found == dict(zip(CLAIM_BATCH_COLUMNS, CLAIM_BATCH[role], strict=True))
