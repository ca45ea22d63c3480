"""`{{ value|outcome_label }}`: a decision outcome kept as its stored value (in a hashed
snapshot) shown as the label the pages use ("Not yet met", not `not_yet_met`)."""

from __future__ import annotations

from django import template

from assessments.models.decision import Outcome

register = template.Library()


@register.filter
def outcome_label(value: str) -> str:
    """The outcome's label; a value no longer among the choices is shown as kept."""
    try:
        return str(Outcome(value).label)
    except ValueError:
        return value
