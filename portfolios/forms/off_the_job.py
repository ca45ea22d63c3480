"""The off-the-job log's form: one activity, as logged or corrected by the apprentice."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from core.html import escape, truncatechars
from core.prepared import Prepared
from portfolios.models import MAX_HOURS_PER_DAY, Evidence, OffTheJobKind, Registration
from qualifications.models import Statement


def statements_for(registration: Registration) -> Any:
    """The KSBs an entry may serve: those of the standards mapped to the registration's own
    qualification (portfolios.off_the_job checks the same)."""
    return Statement.objects.filter(
        standard__qualification_id=registration.qualification_id
    ).order_by("standard__title", "position")


def _statement_rows(*, qualification: int) -> QuerySet:
    return (
        Statement.objects.filter(standard__qualification_id=qualification)
        .order_by("standard__title", "position")
        .values_list("pk", "category", "code", "text")
    )


def _evidence_rows(*, registration: int) -> QuerySet:
    return (
        Evidence.objects.filter(registration_id=registration)
        .order_by("-pk")
        .values_list("pk", "title", "version")
    )


# The form's checkboxes and evidence choices as the log shows them on every visit: rows, in
# the fields' querysets' order, compiled once (core.prepared). The fields' own querysets still
# check what is posted.
STATEMENT_ROWS = Prepared(_statement_rows)
CATEGORY_NAMES = dict(Statement.Category.choices)
EVIDENCE_ROWS = Prepared(_evidence_rows)
# The fields ActivityForm.shown writes the same for every blank form on a given day, and those
# fields as last written (keyed by that day).
FIXED_FIELDS = ("date", "hours", "kind", "description")
_BLANK: dict[datetime.date, dict[str, ShownField]] = {}


@dataclass(frozen=True)
class ShownField:
    """One field as the hand-written form writes it (templates/portfolios/off_the_job/_form.html):
    the markup crispy's bootstrap5 field gives, without a crispy template and a widget template
    per field and per option (a third of the log page's time)."""

    id: str
    name: str
    label: str
    required: bool
    value: str  # as the widget writes it, "" for none
    errors: list[str]
    help: str  # trusted markup, as crispy writes help texts
    described_by: str  # the help text's and the errors' ids, for aria-describedby
    attrs: str  # the widget's own attributes (step, min, max, maxlength, rows, required)
    kind: str  # an <input>'s type, a Textarea's "textarea", a Select's "select"
    css: str  # crispy's classes for the widget ("dateinput form-control", "select form-select")
    # A select's options: value, label, whether selected.
    options: list[tuple[str, str, bool]] = field(default_factory=list)

    @cached_property
    def html(self) -> SafeString:
        """The field as crispy's bootstrap5 field.html writes it (label, widget, errors, help
        text), written here: an include per field cost more than the rest of the form."""
        f = self
        invalid = ' aria-invalid="true"' if f.errors else ""
        described = f' aria-describedby="{escape(f.described_by)}"' if f.described_by else ""
        css = escape(f.css) + (" is-invalid" if f.errors else "")
        rest = f'{f.attrs} class="{css}"{invalid}{described} id="{escape(f.id)}"'
        if f.kind == "select":
            options = "".join(
                f'<option value="{escape(value)}"{" selected" if selected else ""}>'
                f"{escape(label)}</option>"
                for value, label, selected in f.options
            )
            widget = f'<select name="{escape(f.name)}"{rest}>{options}</select>'
        elif f.kind == "textarea":
            widget = f'<textarea name="{escape(f.name)}"{rest}>\n{escape(f.value)}</textarea>'
        else:
            value = f' value="{escape(f.value)}"' if f.value else ""
            widget = f'<input type="{escape(f.kind)}" name="{escape(f.name)}"{value}{rest}>'
        required = ' requiredField"' if f.required else '"'
        star = '<span class="asteriskField">*</span>' if f.required else ""
        errors = (
            f'<div id="{escape(f.id)}_error" class="invalid-feedback">'
            + "".join(
                f'<p id="error_{n}_{escape(f.id)}"><strong>{escape(error)}</strong></p>'
                for n, error in enumerate(f.errors, start=1)
            )
            + "</div>"
            if f.errors
            else ""
        )
        helps = (
            f'<div id="{escape(f.id)}_helptext" class="form-text">{f.help}</div>' if f.help else ""
        )
        return mark_safe(  # noqa: S308 (every text escaped; help texts are trusted markup)
            f'<div id="div_{escape(f.id)}" class="mb-3"><label for="{escape(f.id)}" '
            f'class="form-label{required}>{escape(f.label)}{star}</label>{widget}{errors}{helps}</div>'
        )


class ActivityForm(forms.Form):
    # A date input takes ISO dates only, whatever the locale formats.
    date = forms.DateField(widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    hours = forms.DecimalField(
        min_value=Decimal("0.25"),
        max_value=MAX_HOURS_PER_DAY,
        max_digits=4,
        decimal_places=2,
        help_text="In hours: 1.5 for an hour and a half.",
        widget=forms.NumberInput(attrs={"step": "0.25"}),
    )
    # Every kind is offered, the excluded ones too, so the service can say why one does not
    # count rather than the learner wondering where it went.
    kind = forms.ChoiceField(label="Kind of training", choices=OffTheJobKind.choices)
    description = forms.CharField(
        label="What you did and learned", max_length=2_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    statements = forms.ModelMultipleChoiceField(
        label="Knowledge, skills and behaviours it served",
        queryset=Statement.objects.none(),
        required=False,
    )
    evidence = forms.ModelChoiceField(
        label="Evidence from your portfolio (optional)",
        queryset=Evidence.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, registration: Registration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (pk, category, code, text) of each KSB offered, for statement_groups.
        self.statement_choices = STATEMENT_ROWS.rows(qualification=registration.qualification_id)
        self.registration_id = registration.pk
        if self.is_bound:
            # Only a posted form checks its choices against these; a blank one writes its
            # options from rows (statement_groups, shown), so building them was wasted.
            self.fields["statements"].queryset = statements_for(registration)  # type: ignore[attr-defined]
            self.fields["evidence"].queryset = Evidence.objects.filter(  # type: ignore[attr-defined]
                registration=registration
            ).order_by("-pk")
        self.fields["date"].initial = timezone.localdate()

    def shown(self) -> dict[str, ShownField]:
        """The fields but the KSBs (statement_groups), ready to write by hand. One query, the
        evidence's choices as (id, title, version) rows."""
        if self.is_bound or self.initial or self.prefix or self.auto_id != "id_%s":
            found = {name: self._shown(name) for name in FIXED_FIELDS}
        else:
            # A blank form's other fields are the same for everyone until the date changes
            # (today is the date's initial value): written once a day, not once a page.
            today = self.fields["date"].initial
            found = _BLANK.get(today) or {}
            if not found:
                found = {name: self._shown(name) for name in FIXED_FIELDS}
                _BLANK.clear()
                _BLANK[today] = found
        return {**found, "evidence": self._shown("evidence")}

    def _shown(self, name: str) -> ShownField:
        bound = self[name]
        widget = bound.field.widget
        errors = [str(error) for error in bound.errors]
        helps = f"{bound.auto_id}_helptext" if bound.help_text else ""
        options: list[tuple[str, str, bool]] = []
        # What the widget would write beside name, value, class and id.
        attrs = flatatt(bound.build_widget_attrs(dict(widget.attrs)))
        if isinstance(widget, forms.Select):
            chosen = set(widget.format_value(bound.value()))
            if name == "evidence":
                # Evidence.__str__, from rows: the choices are the registration's pieces.
                choices = [("", "---------")] + [
                    (str(pk), f"{title} (v{version})")
                    for pk, title, version in EVIDENCE_ROWS.rows(registration=self.registration_id)
                ]
            else:
                choices = [(str(key), str(label)) for key, label in bound.field.choices]  # type: ignore[attr-defined]
            options = [(key, label, key in chosen) for key, label in choices]
            value = ""
        else:
            value = widget.format_value(bound.value()) or ""
        return ShownField(
            id=bound.auto_id,
            name=bound.html_name,
            label=str(bound.label),
            required=bound.field.required,
            value=str(value),
            errors=errors,
            help=str(bound.help_text or ""),
            described_by=" ".join(
                part for part in (helps, f"{bound.auto_id}_error" if errors else "") if part
            ),
            attrs=attrs,
            css=(
                f"{type(widget).__name__.lower()} form-select"
                if isinstance(widget, forms.Select)
                else f"{type(widget).__name__.lower()} form-control"
            ),
            kind=getattr(widget, "input_type", None) or type(widget).__name__.lower(),
            options=options,
        )

    def statement_groups(self) -> list[dict[str, Any]]:
        """The KSB checkboxes grouped Knowledge, Skills, Behaviours, checked as posted: each
        group's name and its checkboxes, written here (a standard has dozens of statements,
        each a handful of template lookups otherwise); every text is escaped."""
        if self.is_bound:
            chosen = frozenset(self.data.getlist("statements"))  # type: ignore[attr-defined]
        else:
            chosen = frozenset(str(pk) for pk in self.initial.get("statements", []))
        rows = tuple(map(tuple, self.statement_choices))
        return list(_checkbox_groups(rows, chosen, get_language()))


# The same standard's statements, read afresh each time, write the same markup: written once
# for each set of rows (and boxes ticked), not once a page. Keyed by the rows themselves, so a
# statement changed in the catalogue is written anew.
@functools.lru_cache(maxsize=64)
def _checkbox_groups(
    statements: tuple[tuple[Any, ...], ...], chosen: frozenset[str], language: str | None
) -> tuple[dict[str, Any], ...]:
    # `language`: part of the key only (the ellipsis of a cut statement is translated).
    groups: dict[str, dict[str, Any]] = {}
    for pk, category, code, text in statements:
        group = groups.setdefault(
            category,
            # get_category_display, from the row.
            {"name": CATEGORY_NAMES.get(category, category), "boxes": []},
        )
        checked = " checked" if str(pk) in chosen else ""
        group["boxes"].append(
            f'<div class="form-check"><input class="form-check-input" type="checkbox" '
            f'name="statements" value="{pk}" id="ksb-{pk}"{checked}>'
            f'<label class="form-check-label" for="ksb-{pk}"><strong>'
            f"{escape(code)}</strong> {escape(truncatechars(text, 160))}</label></div>"
        )
    order = {"K": 0, "S": 1, "B": 2}
    return tuple(
        {
            "name": groups[key]["name"],
            "checkboxes": mark_safe("".join(groups[key]["boxes"])),  # noqa: S308 (escaped)
        }
        for key in sorted(groups, key=lambda key: order.get(key, 9))
    )


class QueryForm(forms.Form):
    reason = forms.CharField(
        label="What is wrong with it", max_length=2_000, widget=forms.Textarea(attrs={"rows": 2})
    )
