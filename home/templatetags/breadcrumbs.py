"""`{% breadcrumbs "Plans" plans_url "Plan of 3 December 2026" %}`: the trail to a deep page.

`{% portfolio_breadcrumbs registration "Assessment plans" plans_url "Plan" %}` starts the
trail of a page about one learner's registration with the registration and its portfolio (with
no more arguments the portfolio is the page itself).

Arguments are label and URL pairs, from the top down, then the page's own label (not a link);
Home comes first by itself. Templates fill base.html's `{% block breadcrumbs %}` with it,
naming URLs with `{% url ... as name %}` from objects the view already loaded, so the trail
costs no query. A crumb leading to one of the header's places whose rule refuses the role worn
now (an assessor on a sample record is no reader of the sampling strategies) is left out, as
the header leaves it out (home.navigation).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import Resolver404, resolve

from core.links import fixed_url, id_url
from home.navigation import may_go

register = template.Library()


def trail(user: Any, membership: Any, *parts: Any) -> list[tuple[str, str | None]]:
    """[(label, url), ..., (page, None)] from label, url, ..., page; Home first."""
    if len(parts) % 2 != 1:
        raise template.TemplateSyntaxError(
            "breadcrumbs takes label and URL pairs, then the page's own label"
        )
    crumbs: list[tuple[str, str | None]] = [("Home", fixed_url("home"))]
    for index in range(0, len(parts) - 1, 2):
        label, url = str(parts[index]), parts[index + 1]
        # A link made by id_url names its page; one from a template is resolved to find it.
        view_name = getattr(url, "view_name", None)
        if view_name is None:
            try:
                view_name = resolve(str(url)).view_name
            except Resolver404:
                view_name = ""
        url = str(url)
        if may_go(user, membership, view_name):
            crumbs.append((label, url))
    crumbs.append((str(parts[-1]), None))
    return crumbs


def _crumbs(context: template.Context, *parts: Any) -> dict[str, Any]:
    request = context.get("request")
    user, membership = getattr(request, "user", None), getattr(request, "membership", None)
    return {"crumbs": trail(user, membership, *parts)}


@register.inclusion_tag("core/_breadcrumbs.html", takes_context=True)
def breadcrumbs(context: template.Context, *parts: Any) -> dict[str, Any]:
    return _crumbs(context, *parts)


def registration_label(registration: Any) -> str:
    """ "Ana Lima, 601/3456/2": the learner and qualification the view loaded with it."""
    return f"{registration.learner.get_full_name()}, {registration.qualification.number}"


def _registrations() -> tuple[str, str]:
    # The centre admin reaches registrations from their list (left out for everyone else, whom
    # the list refuses); the others from their home page's learners.
    return ("Registrations", fixed_url("centre:registrations"))


@register.inclusion_tag("core/_breadcrumbs.html", takes_context=True)
def registration_breadcrumbs(
    context: template.Context, registration: Any, *parts: Any
) -> dict[str, Any]:
    """Home › (Registrations ›) Ana Lima, 601/3456/2: the registration page itself, or with
    `parts`, a page of the registration (its apprenticeship) beneath it."""
    if parts:
        link = id_url("portfolios:registration", registration.pk)
        return _crumbs(context, *_registrations(), registration_label(registration), link, *parts)
    return _crumbs(context, *_registrations(), registration_label(registration))


@register.inclusion_tag("core/_breadcrumbs.html", takes_context=True)
def portfolio_breadcrumbs(
    context: template.Context, registration: Any, *parts: Any
) -> dict[str, Any]:
    """Home › (Registrations ›) Ana Lima, 601/3456/2 › Portfolio › parts."""
    head: tuple[Any, ...] = (
        *_registrations(),
        registration_label(registration),
        id_url("portfolios:registration", registration.pk),
    )
    if parts:
        head += ("Portfolio", id_url("evidence:portfolio", registration.pk))
    else:
        parts = ("Portfolio",)
    return _crumbs(context, *head, *parts)
