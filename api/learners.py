"""Add a learner and register them on a qualification, as the register page does
(portfolios.views.register): its two forms bound in turn (the units depend on the
qualification), its rule (the centre's admin), then its services. A learner the centre knows is
registered now; anyone else is invited, as the people page invites, and the invitation carries
the registration, made when they accept: a person joins a centre only by accepting."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.urls import reverse
from ninja.errors import HttpError

from accounts.models import Centre, Invitation
from accounts.rules import administers_centre
from accounts.services import AccessError, InvitationError
from api.caller import Caller
from api.schemas import RegisterIn
from portfolios.forms.registration import RegisterForm, RegisterStartForm
from portfolios.models import Registration
from portfolios.services import RegistrationError
from qualifications.queries import combination_rules


def _problems(form: Any) -> str:
    from api.writes import form_problems

    return form_problems(form)


def centre_for(caller: Caller, asked: int | None) -> Centre:
    """The centre to register at: a centre token's own (another asked is refused), else the one
    asked, where the person administers. 404 for a centre the caller does not administer, as
    for an unknown one."""
    if caller.centre_id is not None:
        if asked is not None and asked != caller.centre_id:
            raise HttpError(404, f"No centre {asked} that this token may register learners at.")
        centre: Centre | None = caller.token.centre
    elif asked is None:
        raise HttpError(422, "body.centre: a personal token names the centre to register at.")
    else:
        centre = Centre.objects.filter(pk=asked).first()
    # The register page's rule: the centre's admin, in that role (a superuser without it is not
    # offered the page either).
    if centre is None or not administers_centre.test(caller.user, centre):
        raise HttpError(404, f"No centre {asked} that this token may register learners at.")
    return centre


def _posted(entry: RegisterIn) -> QueryDict:
    """What the register page's step 2 posts, from the JSON."""
    data = QueryDict(mutable=True)
    data.update(
        {
            "learner": "" if entry.learner is None else str(entry.learner),
            "new_full_name": entry.new_full_name,
            "new_email": entry.new_email,
            "new_date_of_birth": entry.new_date_of_birth.isoformat()
            if entry.new_date_of_birth
            else "",
            "qualification": str(entry.qualification),
            "start_date": entry.start_date.isoformat(),
            "planned_end_date": entry.planned_end_date.isoformat()
            if entry.planned_end_date
            else "",
            "awarding_body_number": entry.awarding_body_number,
            "internal_verifier": ""
            if entry.internal_verifier is None
            else str(entry.internal_verifier),
        }
    )
    data.setlist("units", entry.units)
    data.setlist("assessors", [str(pk) for pk in entry.assessors])
    return data


def register(request: Any, caller: Caller, entry: RegisterIn) -> Registration | Invitation:
    centre = centre_for(caller, entry.centre)
    data = _posted(entry)
    start = RegisterStartForm(data, centre=centre)
    if not start.is_valid():
        raise HttpError(422, _problems(start))
    rules = combination_rules(start.cleaned_data["qualification"])
    form = RegisterForm(data, centre=centre, unit_keys=list(rules.units))
    if not form.is_valid():
        raise HttpError(422, _problems(form))
    try:
        return form.register(
            actor=caller.user,
            # The invitation's link on the address the client called, as the page's.
            link_for=lambda token: request.build_absolute_uri(
                reverse("invitations:respond", args=[token])
            ),
        )
    except (RegistrationError, AccessError, InvitationError, ValueError) as error:
        raise HttpError(422, str(error)) from None
