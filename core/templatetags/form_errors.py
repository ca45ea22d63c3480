"""`{% error_summary %}`: how many problems a form has, each linked to its field.

base.html calls it with no forms: it then summarises every bound, invalid form in the page's
context, so a view only has to render its page with the bound form. An htmx fragment (which
has no base.html) names its form: `{% error_summary form %}`.
"""

from __future__ import annotations

from typing import Any

from django import template

from core.forms import error_items, invalid_forms

register = template.Library()


@register.inclusion_tag("core/_error_summary.html", takes_context=True)
def error_summary(context: template.Context, *forms: Any) -> dict[str, Any]:
    if not forms:
        forms = tuple(invalid_forms(context.flatten().values()))
    items = error_items(*forms)
    return {"items": items, "count": len(items)}
