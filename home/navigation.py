"""The header's links: each role's main places, and which one the person is in now.

One list per role (ROLE_PLACES), each place gated by the same rule its view asks
(`working_membership(request, rule)`), so the header never offers a page that would answer
403. The rules are all `works_as(...)` predicates on the active membership, already loaded by
accounts.context's middleware: the header costs no query, however many links it shows.

A place owns a section of pages (fnmatch patterns over `namespace:url_name`): on its own page
its link is `aria-current="page"`; on a page of its section (a plan under Sampling, a claim
batch under Claims) `aria-current="true"`, so the header says where the person is.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import rules
from django.http import HttpRequest
from django.urls import ResolverMatch
from django.utils.functional import SimpleLazyObject

from accounts.models import Role
from core.links import fixed_url


@dataclass(frozen=True)
class Place:
    label: str
    url_name: str
    # The rule the page's view asks of the active membership; None: anyone signed in.
    rule: str | None = None
    # Pages below this one (fnmatch patterns over "namespace:name"): its link marks them.
    section: tuple[str, ...] = ()
    # Whether the section's pages ask the place's rule too, so a breadcrumb to one of them is
    # left out where the rule refuses (a sampling plan: only who reads the strategies).
    gates_section: bool = False


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    # "page" on the place itself, "true" on a page of its section, else None.
    current: str | None = None


# Pages about one learner's registration: a caseload's (or covered learners') row leads to them,
# so for everyone but the centre admin they sit under Home; for the admin under Registrations.
REGISTRATION_PAGES = (
    "portfolios:registration*",
    "portfolios:withdraw",
    "portfolios:transfer",
    "portfolios:units_check",
    "evidence:*",
    "files:*",
    "witness:*",
    "assessments:unit",
    "assessments:sign_off",
    "assessments:unlock",
    "assessments:coverage",
    "assessments:credit_transfer*",
    "assessments:record*",
    "assessments:plan*",
    "assessments:achievement*",
)

HOME = Place("Home", "home", section=REGISTRATION_PAGES)
# The learner's own portfolio (one registration: straight there), over the pages of their
# registrations, so the learner's Home marks only the home page.
MY_PORTFOLIO = Place(
    "My portfolio",
    "evidence:mine",
    "portfolios.work_own_portfolios",
    section=REGISTRATION_PAGES,
)
# Home alone, no section: for those whose registration pages sit under another place (the
# admin's Registrations, the learner's My portfolio), and for no role.
HOME_ONLY = Place("Home", "home")
QUALIFICATIONS = Place("Qualifications", "qualifications:list", section=("qualifications:*",))

ASSESSMENT_QUEUE = Place(
    "Assessment queue",
    "assessments:queue",
    "assessments.work_assessor_queue",
    section=(
        "assessments:assess",
        "assessments:judge*",
        "assessments:return",
        "assessments:confirm_mapping",
        "assessments:mapping_unit",
    ),
)
# The plans across the learners the role covers; each plan's own page stays under Home.
PLANS = Place("Plans", "assessments:caseload_plans", "assessments.work_caseload_plans")
VALIDATION_QUEUE = Place(
    "Validation queue",
    "assessments:validation_queue",
    "assessments.work_validation_queue",
    section=("assessments:validate*",),
)
BRIEFS = Place(
    "Briefs",
    "assessments:briefs",
    "assessments.work_briefs",
    section=("assessments:brief", "assessments:brief_*"),
)
STANDARDS = Place(
    "Standards", "assessments:standards", "assessments.view_cohort", section=("assessments:cohort",)
)
SAMPLING = Place(
    "Sampling",
    "verification:strategies",
    "verification.work_sampling",
    section=(
        "verification:strategy_edit",
        "verification:ratings",
        "verification:plan",
        "verification:draw",
        "verification:add_sample",
        "verification:remove_sample",
        "verification:sample*",
    ),
    gates_section=True,
)
STANDARDISATION = Place(
    "Standardisation",
    "verification:standardisation_list",
    "verification.work_standardisation",
    section=("verification:standardisation_*",),
)
PEOPLE = Place(
    "People",
    "centre:people",
    "accounts.work_as_centre_admin",
    section=(
        "centre:person*",
        "centre:learner_search",
        "centre:role_*",
        "centre:profile",
        "centre:credential_add",
        "centre:competence_add",
        "centre:invitation_*",
        "centre:employer*",
    ),
)
REGISTRATIONS = Place(
    "Registrations",
    "centre:registrations",
    "accounts.work_as_centre_admin",
    section=(
        "centre:register",
        "centre:assign_bulk",
        "centre:combination_rule",
        "imports:*",
        "transfer:*",  # a portfolio imported from another centre (issue 20)
        *REGISTRATION_PAGES,
    ),
)
# Issue 19, point 6: the apprentices the role worn now covers, their hours against the plan, and
# the CSV of them (the section). Each apprentice's own pages stay where they were.
APPRENTICES = Place(
    "Apprentices",
    "cohort:page",
    "portfolios.work_apprentice_cohort",
    section=("cohort:*",),
)
CLAIMS = Place(
    "Claims",
    "certification:claims",
    "certification.read_claims",
    section=(
        "certification:claim_batch*",
        "certification:claim_summary*",
        "certification:claim_line*",
    ),
)
CLAIM_HOLDS = Place(
    "Claim holds",
    "certification:claim_holds",
    "certification.read_holds",
    section=("certification:claim_hold_*",),
)
# Not "EQA visits" or "Staff competence": the admin's home has links of those names, and a
# header link of the same name would make them ambiguous.
EQA_ACCESS = Place("EQA access", "verification:eqa_visits", "verification.view_eqa_visits")
COMPETENCE = Place("Competence", "verification:competence", "verification.work_competence_report")
# Issue 20: API tokens, the person's own and (for its admins) the centre's; the rule is the api
# app's, asked by name. Last but the catalogue: an integration's page, not daily work.
API_TOKENS = Place("API tokens", "api:tokens", "api.work_tokens", section=("api:*",))
CASES = Place(
    "Appeals and adjustments", "cases:cases", "certification.work_cases", section=("cases:*",)
)

# Issue 19: the employer contact's Home, over their apprentices' pages (portfolio, off-the-job log,
# coverage), but not their own witness pages, which are under Witness requests.
EMPLOYER_HOME = Place(
    "Home",
    "home",
    section=(
        *(pattern for pattern in REGISTRATION_PAGES if pattern != "witness:*"),
        "witness:list",
        "off_the_job:log",
    ),
)
# Issue 19: the testimony asked of an employer contact, and the page where they sign one.
WITNESS_REQUESTS = Place(
    "Witness requests",
    "witness:asked",
    "portfolios.work_witness_requests",
    section=("witness:testify",),
)

# The header of each role, in the order of its work.
ROLE_PLACES: dict[str, tuple[Place, ...]] = {
    Role.LEARNER: (HOME_ONLY, MY_PORTFOLIO, BRIEFS, CASES, API_TOKENS, QUALIFICATIONS),
    Role.ASSESSOR: (
        HOME,
        ASSESSMENT_QUEUE,
        PLANS,
        APPRENTICES,
        BRIEFS,
        STANDARDS,
        STANDARDISATION,
        CASES,
        API_TOKENS,
        QUALIFICATIONS,
    ),
    Role.INTERNAL_VERIFIER: (
        HOME,
        VALIDATION_QUEUE,
        PLANS,
        APPRENTICES,
        SAMPLING,
        STANDARDISATION,
        CLAIM_HOLDS,
        BRIEFS,
        STANDARDS,
        CASES,
        API_TOKENS,
        QUALIFICATIONS,
    ),
    Role.CENTRE_ADMIN: (
        HOME_ONLY,
        PEOPLE,
        REGISTRATIONS,
        APPRENTICES,
        CLAIMS,
        SAMPLING,
        STANDARDISATION,
        EQA_ACCESS,
        CASES,
        API_TOKENS,
        QUALIFICATIONS,
    ),
    Role.EQA: (
        HOME,
        SAMPLING,
        STANDARDISATION,
        CLAIMS,
        CLAIM_HOLDS,
        COMPETENCE,
        CASES,
        API_TOKENS,
        QUALIFICATIONS,
    ),
    # Issue 19: the contact's apprentices are on their home page (and their portfolios, off-the-job
    # logs and coverage below it, under Home); the testimony asked of them has its own list.
    Role.EMPLOYER: (EMPLOYER_HOME, WITNESS_REQUESTS, API_TOKENS, QUALIFICATIONS),
}
# Signed in with no current role: the pages everyone may use.
NO_ROLE: tuple[Place, ...] = (HOME_ONLY, QUALIFICATIONS)


def places_for(user: Any, membership: Any) -> list[Place]:
    """The places the header offers someone working in `membership` (None: no current role),
    each one only where its rule lets them in."""
    places = ROLE_PLACES.get(membership.role, NO_ROLE) if membership else NO_ROLE
    return [
        place
        for place in places
        if place.rule is None or rules.test_rule(place.rule, user, membership)
    ]


def current(place: Place, view_name: str | None) -> str | None:
    """aria-current for `place`'s link on the page named `view_name` ("namespace:name")."""
    if not view_name:
        return None
    if view_name == place.url_name:
        return "page"
    if any(fnmatchcase(view_name, pattern) for pattern in place.section):
        return "true"
    return None


def nav_links(user: Any, membership: Any, match: ResolverMatch | None) -> list[NavLink]:
    """The header's links, the page's own (or its section's) marked: at most one."""
    view_name = match.view_name if match else None
    links = []
    marked = False
    places = places_for(user, membership)
    # The exact page first: a place's list page may also fit another place's patterns.
    exact = any(current(place, view_name) == "page" for place in places)
    for place in places:
        state = current(place, view_name)
        if marked or (exact and state == "true"):
            state = None
        marked = marked or state is not None
        links.append(NavLink(place.label, fixed_url(place.url_name), state))
    return links


def header(request: HttpRequest) -> dict[str, Any]:
    """Template context: the header's links (`nav_links`), for signed-in people."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_links": SimpleLazyObject(
            lambda: nav_links(
                user, getattr(request, "membership", None), getattr(request, "resolver_match", None)
            )
        )
    }


# Every place, by its page's name, for pages that link to one (home.templatetags.breadcrumbs).
PLACES_BY_NAME: dict[str, Place] = {
    place.url_name: place for places in ROLE_PLACES.values() for place in places
}


def gate(view_name: str) -> str | None:
    """The rule a link to the page `view_name` must pass: a header place's, or that of the
    place whose section it is in, where the section asks it too; else None (its view decides)."""
    place = PLACES_BY_NAME.get(view_name)
    if place is not None:
        return place.rule
    for place in PLACES_BY_NAME.values():
        if place.gates_section and any(fnmatchcase(view_name, p) for p in place.section):
            return place.rule
    return None


def may_go(user: Any, membership: Any, view_name: str) -> bool:
    """Whether a link to the page `view_name` may be offered to someone in `membership`."""
    rule = gate(view_name)
    return rule is None or bool(rules.test_rule(rule, user, membership))
