"""What the home page offers each person: their role's work first, then one card per thing
their login lets them do.

`home` sits above every app (no app imports it), so it reads their models and queries directly.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import rules
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accounts.models import STAFF_ROLES, Invitation, InvitationStatus, Membership, Role, User
from assessments.coverage import coverage_counts
from certification import queries
from certification.models import ClaimHold, HoldKind
from core.charts import Bar, bar_chart
from core.html import escape
from core.pagination import paginate, paginate_counted
from core.prepared import Prepared, PreparedInstances, PreparedShapes
from home.caseload import (
    GLANCE,
    CaseloadFilterForm,
    apply_filters,
    caseload,
    caseload_qualifications,
    glance,
    show_progress,
    with_overdue_actions,
)
from home.plans import attach_plans
from portfolios import awarding_body, off_the_job, witness
from portfolios.combination import rules_at_centre
from portfolios.models import Registration, RegistrationStatus, RegistrationUnit
from qualifications.combination import check, mandatory_units
from verification.models.sample import SampleOutcome

LATEST = 5


@dataclass(frozen=True)
class Section:
    title: str
    description: str
    url: str
    link_text: str


def link(name: str, *args: Any) -> str | None:
    """The URL of a named page, or None while that page does not exist yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# A stand-in id, put in place of each row's own (links_for): reversing a URL per row and
# column cost a list of 25 apprentices more than its rows.
_ANY = 987_654_321


def links_for(name: str) -> Callable[[int], str | None]:
    """link(name, pk) for many pks, reversed once; None for all while the page does not exist."""
    found = link(name, _ANY)
    if found is None:
        return lambda pk: None
    pattern = found.replace(str(_ANY), "{}")
    return pattern.format


def home_sections(user: AbstractBaseUser | AnonymousUser) -> list[Section]:
    sections: list[Section] = []
    # Only superusers may use the Django admin (accounts/admin.py), so only they see the card.
    if rules.test_rule("accounts.use_site_admin", user):
        sections.append(
            Section(
                title="Site administration",
                description="Manage users and reference data in the Django admin site.",
                url=reverse("admin:index"),
                link_text="Open site administration",
            )
        )
    sections.append(
        Section(
            title="Qualification catalogue",
            description="Qualifications, their rules of combination, units, learning outcomes "
            "and assessment criteria, as the awarding bodies specify them.",
            url=reverse("qualifications:list"),
            link_text="Browse qualifications",
        )
    )
    sections.append(
        Section(
            title="Your account",
            description="Change your password.",
            url=reverse("password_change"),
            link_text="Change password",
        )
    )
    return sections


def _open_invitations(*, email: str, now: datetime.datetime) -> QuerySet:
    return Invitation.objects.filter(
        email=email, status=InvitationStatus.PENDING, expires_at__gt=now
    ).order_by("expires_at", "pk")


# Every home page asks on every visit: compiled once (core.prepared), where building the query
# cost about a millisecond of CPU.
OPEN_INVITATIONS = PreparedInstances(
    Invitation,
    _open_invitations,
    related=("centre", "invited_by"),
    texts=["email"],
    datetimes=["now"],
)


def open_invitations(user: Any) -> list[Any]:
    """Invitations to the signed-in person's address still waiting for their answer: what
    Invitation.objects.addressed_to(user).open() gives, with their centre and inviter."""
    if not getattr(user, "is_authenticated", False):
        return []
    return OPEN_INVITATIONS.instances(email=user.email.lower(), now=timezone.now())


# ------------------------------------------------------------------------ role home pages


def _search(queryset: QuerySet, q: str) -> QuerySet:
    if not q:
        return queryset
    return queryset.filter(
        Q(learner__full_name__icontains=q)
        | Q(learner__email__icontains=q)
        | Q(qualification__number__icontains=q)
        | Q(qualification__title__icontains=q)
    )


def _with_links(page: Page) -> Page:
    url = links_for("portfolios:registration")
    for registration in page.object_list:
        registration.url = url(registration.pk)
    return page


def _registrations(user: Any) -> QuerySet:
    return Registration.objects.visible_to(user).select_related("learner", "qualification")


def learner_home(user: Any, membership: Any, params: QueryDict) -> dict[str, Any]:
    """The learner's registrations and how their unit choice stands against the rules."""
    registrations = (
        _registrations(user)
        .filter(learner=user, centre=membership.centre)
        .prefetch_related(
            Prefetch(
                "unit_choices",
                # Only the keys: the units' long texts are most of their bytes.
                queryset=RegistrationUnit.objects.select_related("unit")
                .only("registration_id", "unit__key")
                .order_by("unit__key"),
            )
        )
    )
    page = _with_links(paginate(registrations, params))
    # Rules are loaded once per qualification: the cost grows with the catalogue, not the list.
    rules: dict[tuple[int, int], Any] = {}
    for registration in page.object_list:
        # Keyed by centre too: where the catalogue gives no rules, each centre records its own.
        rules_key = (registration.qualification_id, registration.centre_id)
        if rules_key not in rules:
            rules[rules_key] = rules_at_centre(registration.qualification, registration.centre_id)
        qualification_rules = rules[rules_key]
        keys = {choice.unit.key for choice in registration.unit_choices.all()}
        registration.chosen_units = [
            qualification_rules.units[key].label if key in qualification_rules.units else key
            for key in sorted(keys)
        ]
        registration.choice = check(
            qualification_rules, keys | mandatory_units(qualification_rules)
        )
    plans_shown = attach_plans(list(page.object_list), timezone.localdate())
    return {"page": page, "plans_shown": plans_shown}


def assessor_home(user: Any, membership: Any, params: QueryDict) -> dict[str, Any]:
    """The assessor's caseload at this centre, a page at a time, with each learner's progress
    from the read model, overdue plan actions and filters (home/caseload.py): a count and one
    page of rows, whatever the caseload's or the portfolios' size."""
    q = params.get("q", "").strip()
    today = timezone.localdate()
    mine = caseload(user, membership)
    filters = CaseloadFilterForm(params, qualifications=caseload_qualifications(mine))
    chosen = apply_filters(_search(mine, q), filters, today)
    page = _with_links(
        paginate(
            with_overdue_actions(chosen, today).order_by(
                "learner__full_name", "learner__email", "pk"
            ),
            params,
        )
    )
    show_progress(page.object_list, today)
    # The IV's referrals waiting on this assessor's corrections (one query).
    referrals = list(SampleOutcome.objects.open_referrals_for(user, membership.centre_id))
    return {
        "page": page,
        "q": q,
        "filters": filters,
        "referrals": referrals,
        **caseload_picture(mine, today),
    }


def caseload_picture(mine: QuerySet, today: Any) -> dict[str, Any]:
    """The whole caseload at a glance (home.caseload.glance: one query, not the page's rows):
    a bar per group against the active learners, and the same counts as a table."""
    counts = glance(mine, today)
    active = counts["active"]
    groups: list[dict[str, Any]] = [
        {"key": key, "label": label, "count": counts[key], "percent": _percent(counts[key], active)}
        for key, label in GLANCE
    ]
    summary = (
        f"Your {active} active learner{'s' * (active != 1)}: "
        + ", ".join(f"{group['count']} {group['label'].lower()}" for group in groups)
        + "."
    )
    return {
        "glance": groups,
        "glance_active": active,
        "glance_picture": bar_chart(
            [Bar(group["label"], group["count"], active) for group in groups] if active else [],
            label=summary,
            empty="No active learners in your caseload yet.",
        ),
    }


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def verifier_home(user: Any, membership: Any, params: QueryDict) -> dict[str, Any]:
    """The learners (and their assessors) an internal verifier covers at this centre."""
    q = params.get("q", "").strip()
    covered = (
        _search(_registrations(user).filter(centre=membership.centre, internal_verifier=user), q)
        .prefetch_related("assessors")
        .order_by("learner__full_name", "learner__email", "pk")
    )
    assessors = (
        User.objects.filter(assessing__centre=membership.centre, assessing__internal_verifier=user)
        .annotate(learner_count=Count("assessing__learner", distinct=True))
        .order_by("full_name", "email")
    )
    return {
        "page": _with_links(paginate(covered, params)),
        "assessor_page": paginate(assessors, params, "assessors_page"),
        "q": q,
    }


def admin_home(user: Any, membership: Any, params: QueryDict) -> dict[str, Any]:
    """Counts and the latest people and registrations at the centre the admin runs."""
    centre = membership.centre
    people = Membership.objects.current().filter(centre=centre)
    counts = people.aggregate(
        learners=Count("user", distinct=True, filter=Q(role=Role.LEARNER)),
        staff=Count("user", distinct=True, filter=Q(role__in=STAFF_ROLES)),
    )
    registrations = Registration.objects.manageable_by(user).filter(centre=centre)
    # Registering with the awarding body within its stated period (Ascentis L249).
    bodies = awarding_body.periods()
    counts |= registrations.aggregate(
        registrations=Count("pk"),
        active=Count("pk", filter=Q(status=RegistrationStatus.ACTIVE)),
        ab_overdue=Count("pk", filter=awarding_body.overdue_q(bodies)),
        ab_due=Count("pk", filter=awarding_body.due_q(bodies)),
        # Each state, for the centre's overview picture: in the same query.
        **{
            f"status_{status}": Count("pk", filter=Q(status=status))
            for status in RegistrationStatus.values
        },
    )
    latest = registrations.select_related("learner", "qualification").order_by(
        "-created_at", "-pk"
    )[:LATEST]
    for registration in latest:
        # The row's link, for the template (not a model field).
        registration.url = link("portfolios:registration", registration.pk)  # type: ignore[attr-defined]
    latest_people = people.select_related("user").order_by("-created_at", "-pk")[:LATEST]
    for person in latest_people:
        person.url = link("centre:person", person.user_id)  # type: ignore[attr-defined]
    return {
        **centre_overview(counts, centre.pk, timezone.localdate()),
        "counts": counts,
        "ab_periods": bodies,
        "ab_list": link("centre:registrations"),
        "latest_people": latest_people,
        "latest_registrations": latest,
        "links": {
            "people": link("centre:people"),
            "registrations": link("centre:registrations"),
            "register": link("centre:register"),
            "import": link("imports:upload"),
        },
    }


def centre_overview(counts: dict[str, int], centre_id: int, today: Any) -> dict[str, Any]:
    """The centre admin's three pictures, each with its table: registrations by state (counted
    in admin_home's aggregate), what may be claimed now and what still waits (the claims page's
    own lists, certification.queries, counted: four queries), and the open holds by kind (one).
    """
    states = [
        {"label": label, "count": counts[f"status_{value}"]}
        for value, label in RegistrationStatus.choices
    ]
    lists = {"centre_id": centre_id, "today": today}
    claims = [
        {"label": "Qualifications ready to claim", "count": queries.full_ready(**lists).count()},
        {"label": "Qualifications waiting", "count": queries.full_waiting(**lists).count()},
        {"label": "Units ready to claim", "count": queries.units_ready(**lists).count()},
        {"label": "Units waiting", "count": queries.units_waiting(**lists).count()},
    ]
    open_by_kind = dict(
        ClaimHold.objects.open()
        .filter(registration__centre_id=centre_id)
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    holds = [
        {"label": label, "count": open_by_kind.get(value, 0)} for value, label in HoldKind.choices
    ]

    def picture(rows: list[dict[str, Any]], what: str, empty: str) -> Any:
        summary = f"{what}: " + ", ".join(f"{row['label']} {row['count']}" for row in rows) + "."
        shown = [Bar(row["label"], row["count"]) for row in rows]
        return bar_chart(
            shown if any(row["count"] for row in rows) else [], label=summary, empty=empty
        )

    return {
        "overview": [
            {
                "key": "registrations",
                "title": "Registrations by state",
                "heading": "State",
                "rows": states,
                "picture": picture(states, "Registrations by state", "No registrations yet."),
            },
            {
                "key": "claims",
                "title": "Certification claims due",
                "heading": "Claim",
                "rows": claims,
                "picture": picture(claims, "Certification claims", "Nothing to claim yet."),
            },
            {
                "key": "holds",
                "title": "Open holds on claims",
                "heading": "Hold",
                "rows": holds,
                "picture": picture(holds, "Open holds on claims", "No open holds."),
            },
        ]
    }


def eqa_home(user: Any, membership: Any, params: QueryDict) -> dict[str, Any]:
    """The centre's registrations, read-only, while the EQA's access lasts."""
    q = params.get("q", "").strip()
    registrations = _search(_registrations(user).filter(centre=membership.centre), q).order_by(
        "learner__full_name", "learner__email", "pk"
    )
    return {
        "page": _with_links(paginate(registrations, params)),
        "q": q,
        "limited_to": list(membership.qualifications.order_by("number")),
    }


@dataclass
class ApprenticeRow:
    """One apprentice of the employer contact's page, as its table shows them; what
    employer_home adds (links, coverage, hours) is filled in after."""

    pk: int
    name: str  # the learner's full name, else address (get_full_name)
    qualification: str  # number and title
    standard_id: int | None  # of the programme record
    criteria_met: int
    criteria_required: int
    url: str | None = None
    ksbs: Any = None
    hours: off_the_job.Hours | None = None
    otj_url: str | None = None
    coverage_url: str | None = None


def _contacts_apprentices(*, centre: int, employer: int, user: int, today: datetime.date) -> Any:
    """The registrations at `centre` whose programme record names `employer`, where `user` is a
    current contact of that employer (Registration.objects.visible_to's employer arm, said
    again: the active role is checked by the middleware, and the query asks it too)."""
    return Registration.objects.filter(
        centre_id=centre,
        apprenticeship__employer_id=employer,
        apprenticeship__employer_id__in=Membership.objects.current(today)
        .filter(user_id=user, role=Role.EMPLOYER)
        .values("employer_id"),
    )


def _apprentice_count(*, centre: int, employer: int, user: int, today: datetime.date) -> QuerySet:
    return (
        _contacts_apprentices(centre=centre, employer=employer, user=user, today=today)
        .order_by()
        .values("centre_id")
        .annotate(n=Count("pk"))
        .values_list("n")
    )


def _apprentice_slice(start: int, stop: int) -> Callable[..., QuerySet]:
    def rows(*, centre: int, employer: int, user: int, today: datetime.date) -> QuerySet:
        return (
            _contacts_apprentices(centre=centre, employer=employer, user=user, today=today)
            .order_by("learner__full_name", "learner__email", "pk")
            .values_list(
                "pk",
                "learner__full_name",
                "learner__email",
                "qualification__number",
                "qualification__title",
                "apprenticeship__standard_id",
                "progress__criteria_met",
                "progress__criteria_required",
            )[start:stop]
        )

    rows.__qualname__ = f"_apprentice_slice[{start}:{stop}]"
    return rows


# The contact's home on every visit: the count and a page of rows, compiled once (core.prepared;
# a page's slice is in its SQL, so each page its own query, kept for the first pages). Building
# the joined queryset and its model instances was most of the page's own time.
APPRENTICE_COUNT = Prepared(_apprentice_count, dates=["today"])
APPRENTICE_PAGES = PreparedShapes(
    lambda start, stop, **ids: _apprentice_slice(start, stop)(**ids), kept=20, dates=["today"]
)


def employer_home(user: Any, membership: Any, params: QueryDict) -> dict[str, Any]:
    """An employer contact's apprentices at this centre: the registrations whose programme
    record names their employer (as Registration.objects.visible_to allows a contact),
    read-only, each with its criteria met, KSB coverage and off-the-job hours against the plan
    to date; and the testimony asked of the contact, still open. A fixed number of queries for
    a page of apprentices: coverage and hours are each counted for the whole page at once."""
    today = timezone.localdate()
    ids = {
        "centre": membership.centre_id,
        "employer": membership.employer_id,
        "user": user.pk,
        "today": today,
    }
    counted = APPRENTICE_COUNT.rows(**ids)
    page = paginate_counted(counted[0][0] if counted else 0, params)
    start = (page.number - 1) * page.paginator.per_page
    url = links_for("portfolios:registration")
    rows = APPRENTICE_PAGES.rows(start, start + page.paginator.per_page, **ids)
    apprentices = [
        ApprenticeRow(
            pk=pk,
            name=full_name or email,
            qualification=f"{number} {title}",
            standard_id=standard_id,
            # A row not counted yet (recount_progress --fix) shows 0, as show_progress does.
            criteria_met=met or 0,
            criteria_required=required or 0,
            url=url(pk),
        )
        for pk, full_name, email, number, title, standard_id, met, required in rows
    ]
    page.object_list = apprentices
    hours = off_the_job.hours_for([row.pk for row in apprentices], today)
    standard_ids = {row.standard_id for row in apprentices if row.standard_id is not None}
    # Counts only (assessments.coverage.coverage_counts): the page shows "n of m covered".
    coverage = coverage_counts(apprentices, standard_ids) if standard_ids else {}
    otj_url, coverage_url = links_for("off_the_job:log"), links_for("assessments:coverage")
    for row in apprentices:
        row.ksbs = (
            coverage.get(row.pk, {}).get(row.standard_id) if row.standard_id is not None else None
        )
        row.hours = hours.get(row.pk)
        row.otj_url = otj_url(row.pk)
        row.coverage_url = coverage_url(row.pk)
    return {
        "page": page,
        "rows": _apprentice_rows(apprentices),
        "employer": membership.employer,
        "testimony_requested": [
            (witness_request, link("witness:testify", witness_request.pk))
            for witness_request in witness.waiting_for(user, membership.centre_id)
        ],
    }


def _apprentice_rows(apprentices: list[ApprenticeRow]) -> SafeString:
    """The employer contact's table rows, written here rather than by a template node per value
    (20 to 25 rows of five cells were a quarter of the page's time); every text escaped."""
    html: list[str] = []
    for registration in apprentices:
        name = escape(registration.name)
        url = registration.url
        who = f'<a href="{escape(url)}">{name}</a>' if url else name
        ksbs = registration.ksbs
        if ksbs is None:
            coverage = "No standard recorded"
        else:
            coverage = f"{ksbs.covered} of {ksbs.total} KSBs covered"
            if registration.coverage_url:
                coverage = f'<a href="{escape(registration.coverage_url)}">{coverage}</a>'
        hours = registration.hours
        figure = off_the_job.figure
        logged = ""
        if hours is not None and hours.plan is not None:
            behind = (
                ' <span class="badge text-bg-warning" data-testid="behind">Behind</span>'
                if hours.behind
                else ""
            )
            waiting = f"; {figure(hours.waiting)} hours waiting for review" if hours.waiting else ""
            to_date = figure(hours.planned_to_date) if hours.planned_to_date is not None else ""
            logged = (
                f"{figure(hours.approved)} hours approved, {to_date} planned to date{behind}"
                f' <small class="d-block text-body-secondary">{figure(hours.plan.hours)} hours '
                f"planned in all{waiting}</small>"
            )
        elif hours is not None:
            logged = f"{figure(hours.approved)} hours approved, no plan recorded"
        otj = registration.otj_url
        if otj:
            logged += (
                f' <a class="d-block" href="{escape(otj)}">Off-the-job log<span '
                f'class="visually-hidden"> of {name}</span></a>'
            )
        html.append(
            f'<tr><th scope="row">{who}</th><td data-label="Qualification">'
            f"{escape(registration.qualification)}</td>"
            f'<td data-label="Progress">{registration.criteria_met} of '
            f"{registration.criteria_required} criteria met</td>"
            f'<td data-label="Knowledge, skills and behaviours" data-testid="ksbs">{coverage}</td>'
            f'<td data-label="Off-the-job hours" data-testid="hours">{logged}</td></tr>'
        )
    return mark_safe("".join(html))  # noqa: S308 (every text above is escaped)


def _ended_eqa_access(user: Any) -> list[Any]:
    """EQA grants that have ended, so someone with no current role learns why."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Membership.objects.filter(user_id=user.pk, role=Role.EQA)
        .exclude(pk__in=Membership.objects.current().values("pk"))
        .select_related("centre")
    )


ROLE_HOMES = {
    "learner": ("home/learner.html", learner_home),
    "assessor": ("home/assessor.html", assessor_home),
    "iv": ("home/iv.html", verifier_home),
    "admin": ("home/admin.html", admin_home),
    "eqa": ("home/eqa.html", eqa_home),
    "employer": ("home/employer.html", employer_home),
}


def role_home(user: Any, membership: Any, params: QueryDict) -> tuple[str, dict[str, Any]]:
    """The template and context of the home page for the role the person is working in."""
    if membership is None:
        return "home/home.html", {"ended_eqa": _ended_eqa_access(user)}
    template, build = ROLE_HOMES[membership.role]
    return template, build(user, membership, params)
