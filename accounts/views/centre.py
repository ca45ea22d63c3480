"""The centre admin's pages about people: people, roles, profiles, credentials, invitations.
(Registrations are portfolios' pages: portfolios/views/register.py.)

The centre is the one of the active role (request.membership); anyone not working as a centre
admin gets 403. People of other centres answer 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.competence import competence_table, warnings_for
from accounts.context import admin_centre
from accounts.forms.centre import (
    CompetenceRecordForm,
    LearnerPicker,
    LearnerProfileForm,
    PersonAddForm,
    PersonSearchForm,
    RoleGrantForm,
    StaffCredentialForm,
    centre_learners,
)
from accounts.models import (
    STAFF_ROLES,
    Centre,
    Invitation,
    InvitationStatus,
    LearnerProfile,
    Membership,
    Role,
    User,
    includes_learner,
)
from accounts.person_page import links_for
from accounts.queries import people_matching
from accounts.requests import AuthedRequest
from accounts.services import (
    AccessError,
    InvitationError,
    competence_record_add,
    credential_add,
    invitation_resend,
    invitation_withdraw,
    learner_profile_update,
    person_add,
    role_grant,
    role_revoke,
)
from core.forms import picker_results

PAGE_SIZE = 25
# How long declined, withdrawn and expired invitations stay on the people page.
RECENT_DAYS = 30


# ---------------------------------------------------------------- people


@require_GET
@login_required
def people(request: AuthedRequest) -> HttpResponse:
    centre = admin_centre(request)
    form = PersonSearchForm(request.GET or None)
    # EXISTS, not a join and DISTINCT: the page walks people in name order (an index) and
    # stops at its 25, instead of sorting every membership of the platform's centres.
    persons = (
        User.objects.filter(Exists(Membership.objects.filter(user=OuterRef("pk"), centre=centre)))
        .order_by("full_name", "email")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(centre=centre).order_by("role"),
                to_attr="centre_roles",
            )
        )
    )
    paginator = Paginator(persons, PAGE_SIZE)
    if form.is_valid() and form.cleaned_data["q"]:
        q = form.cleaned_data["q"]
        paginator = Paginator(persons.filter(people_matching(q, centre)), PAGE_SIZE)
    else:
        # Counted from the centre's memberships alone (an index), not by testing every
        # person on the platform for one.
        paginator.count = (
            Membership.objects.filter(centre=centre).order_by().values("user_id").distinct().count()
        )
    return render(
        request,
        "accounts/people.html",
        {
            "centre": centre,
            "form": form,
            "page_obj": paginator.get_page(request.GET.get("page")),
            "invitations": _invitations_to_show(request, centre),
            "competence_warnings": centre_warnings(centre),
        },
    )


@require_GET
@login_required
def learner_search(request: AuthedRequest) -> HttpResponse:
    """htmx: the centre's learners matching what the admin typed into a learner picker."""
    centre = admin_centre(request)
    if not request.user.has_perm("accounts.search_learners", centre):
        raise PermissionDenied("Only the centre's admins search its learners.")
    return picker_results(request, LearnerPicker(queryset=centre_learners(centre), centre=centre))


def _invitations_to_show(request: AuthedRequest, centre: Centre) -> list[Invitation]:
    """Those awaiting an answer, and for a while those that ended without a membership (or
    with registrations that could not be made), so the admin knows what became of them."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    pending = Q(status=InvitationStatus.PENDING, expires_at__gte=since)
    answered = Q(responded_at__gte=since) & ~Q(status=InvitationStatus.ACCEPTED)
    # Accepted ones are listed as people; only those whose registrations failed stay here.
    accepted = Q(status=InvitationStatus.ACCEPTED, responded_at__gte=since)
    rows = (
        Invitation.objects.manageable_by(request.user)
        .filter(centre=centre)
        .filter(pending | answered | accepted)
        .select_related("invited_by", "accepted_by")
        .order_by("-sent_at")
    )
    shown = [
        invitation
        for invitation in rows
        if invitation.status != InvitationStatus.ACCEPTED or invitation.registration_problems
    ]
    # Those still awaiting an answer first: they are the ones with something to do.
    return sorted(shown, key=lambda invitation: not invitation.is_open)


def _person(request: AuthedRequest, centre: Centre, pk: int) -> User:
    return get_object_or_404(
        # By subquery, not a join: one row per person whatever roles they hold there.
        User.objects.visible_to(request.user).filter(
            pk__in=Membership.objects.filter(centre=centre).values("user_id")
        ),
        pk=pk,
    )


def centre_warnings(centre: Centre, people: list[int] | None = None) -> list[str]:
    """Issue 17: what lapses within WARN_DAYS (or has lapsed) for the centre's assessors and
    IVs, for the admin's people and person pages."""
    qualifications = list(centre.qualifications.select_related("awarding_body").order_by("number"))
    return warnings_for(competence_table(centre, qualifications, people=people))


def _person_page(
    request: AuthedRequest, centre: Centre, person: User, *, status: int = 200, **forms: Any
) -> HttpResponse:
    roles = list(
        person.memberships.filter(centre=centre)
        .order_by("role")
        .select_related("employer")
        .prefetch_related("qualifications")
    )
    held = {m.role for m in roles}
    is_learner = includes_learner(held)
    is_staff = bool(held & set(STAFF_ROLES))
    # Only what this centre keeps: the person may be a member elsewhere, with other details.
    profile = LearnerProfile.objects.at(centre).filter(user=person).first() if is_learner else None
    context: dict[str, Any] = {
        "centre": centre,
        "person": person,
        "roles": roles,
        "links": links_for(person, centre, frozenset(held)),
        "grant_form": forms.get("grant_form") or RoleGrantForm(centre=centre),
        "is_learner": is_learner,
        "is_staff": is_staff,
    }
    if is_learner:
        context["profile_form"] = forms.get("profile_form") or LearnerProfileForm(instance=profile)
    if is_staff:
        context["competence_warnings"] = centre_warnings(centre, people=[person.pk])
        context["credentials"] = list(
            person.credentials.filter(centre=centre)
            .select_related("countersigner")
            .prefetch_related("qualifications")
        )
        context["records"] = list(person.competence_records.filter(centre=centre))
        context["credential_form"] = forms.get("credential_form") or StaffCredentialForm(
            centre=centre
        )
        context["record_form"] = forms.get("record_form") or CompetenceRecordForm(centre=centre)
    return render(request, "accounts/person.html", context, status=status)


@require_GET
@login_required
def person(request: AuthedRequest, pk: int) -> HttpResponse:
    centre = admin_centre(request)
    return _person_page(request, centre, _person(request, centre, pk))


def invitation_link_for(request: AuthedRequest) -> Callable[[str], str]:
    """The invitation e-mail's link on the address the admin is using (also the register
    page's new learner: portfolios.views.register)."""
    return lambda token: request.build_absolute_uri(reverse("invitations:respond", args=[token]))


@require_http_methods(["GET", "POST"])
@login_required
def person_add_view(request: AuthedRequest) -> HttpResponse:
    centre = admin_centre(request)
    form = PersonAddForm(request.POST or None, centre=centre)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = person_add(
                actor=request.user,
                centre=centre,
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
                expires_on=data["expires_on"],
                qualifications=data["qualifications"],
                link_for=invitation_link_for(request),
                employer=data["employer"],
            )
        except (AccessError, InvitationError, ValueError) as error:
            messages.error(request, str(error))
        else:
            role = Role(data["role"]).label.lower()
            if isinstance(added, Invitation):
                # Only what the admin typed: the same words whether or not the address has
                # an account anywhere.
                messages.success(
                    request,
                    f"An invitation to join {centre.name} as {role} is on its way to "
                    f"{data['full_name']} ({data['email']}). They appear here once they accept.",
                )
                return redirect("centre:people")
            messages.success(request, f"{added.user} is now {role} at {centre.name}.")
            return redirect("centre:person", pk=added.user_id)
    return render(
        request,
        "accounts/person_add.html",
        {"centre": centre, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


def _invitation(request: AuthedRequest, centre: Centre, pk: int) -> Invitation:
    return get_object_or_404(
        Invitation.objects.manageable_by(request.user).filter(centre=centre), pk=pk
    )


@require_POST
@login_required
def invitation_resend_view(request: AuthedRequest, pk: int) -> HttpResponse:
    centre = admin_centre(request)
    invitation = _invitation(request, centre, pk)
    try:
        invitation_resend(
            actor=request.user, invitation=invitation, link_for=invitation_link_for(request)
        )
    except InvitationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"The invitation to {invitation.full_name} ({invitation.email}) was sent again; "
            "the earlier link no longer works.",
        )
    return redirect("centre:people")


@require_POST
@login_required
def invitation_withdraw_view(request: AuthedRequest, pk: int) -> HttpResponse:
    centre = admin_centre(request)
    invitation = _invitation(request, centre, pk)
    try:
        invitation_withdraw(actor=request.user, invitation=invitation)
    except InvitationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"The invitation to {invitation.full_name} ({invitation.email}) is withdrawn."
        )
    return redirect("centre:people")


@require_POST
@login_required
def role_grant_view(request: AuthedRequest, pk: int) -> HttpResponse:
    centre = admin_centre(request)
    person = _person(request, centre, pk)
    form = RoleGrantForm(request.POST, centre=centre)
    if not form.is_valid():
        return _person_page(request, centre, person, status=400, grant_form=form)
    try:
        membership = role_grant(
            actor=request.user,
            user=person,
            centre=centre,
            role=form.cleaned_data["role"],
            expires_on=form.cleaned_data["expires_on"],
            qualifications=form.cleaned_data["qualifications"],
            employer=form.cleaned_data["employer"],
        )
    except (AccessError, ValueError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{person} is now {membership.get_role_display().lower()}.")
    return redirect("centre:person", pk=person.pk)


@require_POST
@login_required
def role_revoke_view(request: AuthedRequest, pk: int, membership_pk: int) -> HttpResponse:
    centre = admin_centre(request)
    person = _person(request, centre, pk)
    membership = get_object_or_404(
        Membership.objects.visible_to(request.user).filter(centre=centre, user=person),
        pk=membership_pk,
    )
    try:
        role_revoke(actor=request.user, membership=membership)
    except AccessError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{person} is no longer {membership.get_role_display().lower()}.")
    return redirect("centre:person", pk=person.pk)


@require_POST
@login_required
def profile_update_view(request: AuthedRequest, pk: int) -> HttpResponse:
    centre = admin_centre(request)
    person = _person(request, centre, pk)
    if not person.memberships.filter(centre=centre).learners().exists():
        messages.error(request, f"{person} is not a learner at {centre.name}.")
        return redirect("centre:person", pk=person.pk)
    form = LearnerProfileForm(request.POST)
    if not form.is_valid():
        return _person_page(request, centre, person, status=400, profile_form=form)
    learner_profile_update(actor=request.user, user=person, centre=centre, **form.cleaned_data)
    messages.success(request, "Learner details saved.")
    return redirect("centre:person", pk=person.pk)


def _staff_person(request: AuthedRequest, centre: Centre, pk: int) -> User:
    person = _person(request, centre, pk)
    if not person.memberships.filter(centre=centre, role__in=STAFF_ROLES).exists():
        raise PermissionDenied("Credentials are kept for assessors, verifiers and admins.")
    return person


@require_POST
@login_required
def credential_add_view(request: AuthedRequest, pk: int) -> HttpResponse:
    centre = admin_centre(request)
    person = _staff_person(request, centre, pk)
    form = StaffCredentialForm(request.POST, centre=centre)
    if not form.is_valid():
        return _person_page(request, centre, person, status=400, credential_form=form)
    try:
        credential_add(actor=request.user, user=person, centre=centre, **form.cleaned_data)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Credential added.")
    return redirect("centre:person", pk=person.pk)


@require_POST
@login_required
def competence_add_view(request: AuthedRequest, pk: int) -> HttpResponse:
    centre = admin_centre(request)
    person = _staff_person(request, centre, pk)
    form = CompetenceRecordForm(request.POST, centre=centre)
    if not form.is_valid():
        return _person_page(request, centre, person, status=400, record_form=form)
    competence_record_add(actor=request.user, user=person, centre=centre, **form.cleaned_data)
    messages.success(request, "Record added.")
    return redirect("centre:person", pk=person.pk)
