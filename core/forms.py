"""Form pieces every app shares."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.renderers import DjangoTemplates
from django.forms.utils import flatatt
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

FieldT = TypeVar("FieldT", bound=forms.Field)


def declared(form: forms.BaseForm, name: str, kind: type[FieldT]) -> FieldT:
    """The form's own copy of a field it declares, as the kind it declares it: for setting a
    queryset or choices per request. (Django types `form.fields` as plain Fields.)"""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{type(form).__name__}.{name} is not a {kind.__name__}")
    return field


def sent_values(form: forms.BaseForm, name: str) -> list[str]:
    """Every value a bound form was sent for `name` (the boxes ticked), as sent: a page that
    comes back with errors ticks them again. Views bind forms to request.POST, a QueryDict."""
    data = form.data
    return data.getlist(name) if isinstance(data, MultiValueDict) else []


def form_errors(form: forms.BaseForm) -> str:
    """Every error of a form in one line, for a message above the page."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


class DateInput(forms.DateInput):
    """A browser date picker. It only understands ISO dates, so never render the locale's
    dd/mm/yyyy: a saved date would show as empty and be lost on the next save."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class LimitStatingBoundField(forms.BoundField):
    """A form field that says how much may be typed into it.

    Every text box and text area with a max_length gets "Up to N characters." after its help
    text (so screen readers hear it through aria-describedby too); Django already sets the
    maxlength attribute, and the field's own validation gives the clear error past it.
    Installed for every form through FormRenderer (settings.FORM_RENDERER).
    """

    def __init__(self, form: forms.BaseForm, field: forms.Field, name: str) -> None:
        super().__init__(form, field, name)
        limit = getattr(field, "max_length", None)
        if limit and isinstance(field.widget, forms.TextInput | forms.Textarea):
            stated = f"Up to {limit:,} characters."
            # Help texts are rendered as trusted markup (|safe), so plain joining keeps them so.
            self.help_text = f"{self.help_text} {stated}" if self.help_text else stated


class FormRenderer(DjangoTemplates):
    bound_field_class = LimitStatingBoundField


class QuickSelect(forms.Select):
    """A single-choice select built in Python: Django's own renders a template per option,
    which on a long list (a portfolio's 59 units) costs more than the rest of the page. Plain
    choices only, no option groups."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (
                    "" if key is None else key,
                    mark_safe(" selected") if str(key) in selected else "",
                    label,
                )
                for key, label in self.choices
            ),
        )
        final = self.build_attrs(self.attrs, attrs)
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final), options)


# ---------------------------------------------------------------- the searchable picker

# Matches listed at once: enough to find someone by part of a name, few enough to read.
PICKER_LIMIT = 20
PICKER_MIN_CHARS = 2
# Up to this many matches, a search reads their ids first and then orders just those (see
# PickerField.matches); beyond it, matches are common enough that walking the list in order
# finds the first ones at once.
PICKER_FEW = 500
SEARCH_SUFFIX = "_search"


@dataclass(frozen=True)
class PickerValue:
    """What a picker posts: the choice ticked (a pk), or failing that the text typed."""

    chosen: str
    query: str


class SearchPicker(forms.TextInput):
    """A text box that finds one of thousands (a centre's learners or registrations) instead
    of a <select> of them all.

    The box is named `<name>_search`; the matches are radio buttons named `<name>`, listed
    under it. With JavaScript htmx fetches the matches while the person types (the field's
    `search_url`); without it the form comes back from the server with the same matches to
    choose from, or takes an exact e-mail / ULN typed into the box (PickerField.to_python).
    Radios, not an ARIA combobox: the keyboard and screen readers already know them.
    """

    input_type = "search"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"autocomplete": "off", **(attrs or {})})
        self.field: PickerField | None = None

    def value_from_datadict(self, data: Any, files: Any, name: str) -> PickerValue | None:
        chosen = data.get(name) or ""
        query = (data.get(name + SEARCH_SUFFIX) or "").strip()
        if not chosen and not query:
            return None
        return PickerValue(chosen=str(chosen), query=query)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and name + SEARCH_SUFFIX not in data

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        if self.field is None:
            raise TypeError("A SearchPicker is rendered by its PickerField.")
        if isinstance(value, PickerValue):
            chosen, query = value.chosen, value.query
        else:
            chosen, query = ("" if value is None else str(value)), ""
        final = self.build_attrs(self.attrs, attrs)
        box_id = final.get("id") or f"id_{name}"
        results_id = f"{box_id}_results"
        final.update(
            {
                "type": self.input_type,
                "name": name + SEARCH_SUFFIX,
                "id": box_id,
                "value": query,
                "aria-controls": results_id,
                "hx-get": _with_query(str(self.field.search_url), field=name),
                # "search" is the box being cleared (or Enter) in browsers that send it.
                "hx-trigger": "input changed delay:300ms, search",
                "hx-target": f"#{results_id}",
                "hx-swap": "innerHTML",
            }
        )
        results = self.field.results_html(name, query, chosen=chosen)
        return format_html(
            '<input{}><div id="{}" class="picker-results" aria-live="polite">{}</div>',
            flatatt(final),
            results_id,
            results,
        )


def _with_query(url: str, **params: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


class PickerField(forms.ModelChoiceField):
    """One of a (long) queryset, found by typing: subclasses say how to search it.

    `search(q)` gives the matches listed for part of a name; `exact(q)` the ones an exact
    identifier names (an e-mail, a ULN), which are taken without a further choice. The search
    endpoint lists `search(q)` through `results_html`, so what the page offers and what the
    form accepts come from one queryset.
    """

    widget = SearchPicker
    noun = "choice"
    nouns = "choices"

    def __init__(self, *args: Any, search_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.search_url = search_url
        self.widget.field = self

    def __deepcopy__(self, memo: dict[int, Any]) -> PickerField:
        result = super().__deepcopy__(memo)
        result.widget.field = result  # each form's copy renders from its own queryset
        return result

    @property
    def options(self) -> QuerySet:
        """The queryset chosen from: Django allows a field none, but a picker is always given
        one (its form narrows it to the centre) before it searches."""
        if self.queryset is None:
            raise TypeError(f"{type(self).__name__} was given no queryset")
        return self.queryset

    # What a subclass gives.
    def search(self, q: str) -> QuerySet:
        raise NotImplementedError

    def exact(self, q: str) -> QuerySet:
        raise NotImplementedError

    # The choices are searched, never listed whole: Django would otherwise iterate the
    # queryset for has_changed, a <select> or choices.
    def _get_choices(self) -> list[tuple[Any, str]]:
        return []

    # ChoiceField's own setter, read from the class's dict: the stubs type the attribute as the
    # choices, not as the property it is.
    choices = property(_get_choices, vars(forms.ChoiceField)["choices"].fset)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, PickerValue):
            chosen, query = value.chosen, value.query
        else:
            chosen, query = ("" if value is None else str(value)), ""
        if chosen not in self.empty_values:
            return super().to_python(chosen)
        if not query:
            return None
        named = list(self.exact(query)[:2])
        if len(named) == 1:
            return named[0]
        if named:
            raise ValidationError(
                f"More than one {self.noun} is “{query}”: choose one from the list.",
                code="ambiguous",
            )
        if len(query) < PICKER_MIN_CHARS:
            raise ValidationError(
                f"Type at least {PICKER_MIN_CHARS} characters to find a {self.noun}.",
                code="short",
            )
        if self.search(query)[:1].exists():
            raise ValidationError(
                f"Choose the {self.noun} from those matching “{query}”.", code="choose"
            )
        raise ValidationError(f"No {self.noun} matches “{query}”.", code="none")

    def matches(self, q: str) -> tuple[list[Any], bool]:
        """At most PICKER_LIMIT matches, and whether there are more."""
        if len(q) < PICKER_MIN_CHARS:
            return [], False
        search = self.search(q)
        # The ids of the matches first, unordered: the trigram indexes find a rare name
        # among a platform's users in a millisecond. Asked in one query for the first
        # matches by name, PostgreSQL instead walks every user in name order testing each
        # (it guesses 1% match: 40 ms on 30,000 users for a name 10 of them have). When
        # there are few, order just those; when there are many, that walk is short.
        ids = list(search.order_by().values_list("pk", flat=True)[: PICKER_FEW + 1])
        if len(ids) <= PICKER_FEW:
            search = self.options.filter(pk__in=ids)
        found = list(search[: PICKER_LIMIT + 1])
        return found[:PICKER_LIMIT], len(found) > PICKER_LIMIT

    def results_html(self, name: str, query: str, *, chosen: str = "") -> str:
        """The radios under the box: the choice already made, then the matches for `query`."""
        picked = None
        if chosen.isdigit():
            picked = self.options.filter(pk=chosen).first()
        found, more = ([], False) if picked is not None else self.matches(query)
        rows = [picked] if picked is not None else found
        radios = format_html_join(
            "",
            '<div class="form-check"><input class="form-check-input" type="radio" name="{}"'
            ' id="{}" value="{}"{}><label class="form-check-label" for="{}">{}</label></div>',
            (
                (
                    name,
                    f"id_{name}_{row.pk}",
                    row.pk,
                    mark_safe(" checked") if row is picked else "",
                    f"id_{name}_{row.pk}",
                    self.label_from_instance(row),
                )
                for row in rows
            ),
        )
        if picked is not None:
            legend = f"Chosen {self.noun} (search again to change)"
        elif not query:
            return ""
        elif len(query) < PICKER_MIN_CHARS:
            return format_html(
                '<p class="form-text mb-0">Type at least {} characters.</p>', PICKER_MIN_CHARS
            )
        elif not found:
            return format_html(
                '<p class="form-text mb-0">No {} matches “{}”.</p>', self.noun, query
            )
        else:
            count = f"{len(found)} {self.noun if len(found) == 1 else self.nouns}"
            legend = f"{'The first ' if more else ''}{count} matching “{query}”"
        note = (
            mark_safe(
                '<p class="form-text mb-0">There are more: type more of the name to narrow it.</p>'
            )
            if more
            else ""
        )
        return format_html(
            '<fieldset class="picker-choices mt-2"><legend class="form-label fs-6">{}</legend>'
            "{}{}</fieldset>",
            legend,
            radios,
            note,
        )


FIELD_NAME = re.compile(r"^[\w-]{1,80}$")


def picker_results(request: HttpRequest, field: PickerField) -> HttpResponse:
    """The search endpoint's answer: the radios for what was typed, for htmx to put under the
    box. The caller has checked who may search what; `field` holds only what they may see."""
    name = request.GET.get("field", "")
    if not FIELD_NAME.match(name):
        return HttpResponseBadRequest("Which field is searched?")
    query = (request.GET.get(name + SEARCH_SUFFIX) or request.GET.get("q") or "").strip()
    return HttpResponse(field.results_html(name, query[:200]))


# ---------------------------------------------------------------- errors beside their fields


@dataclass(frozen=True)
class ErrorItem:
    """One line of a form's error summary: the message, and the id of the field it is about
    (empty for an error about the form as a whole, which sits at the top of the form)."""

    message: str
    field_id: str = ""


def error_items(*forms_: forms.BaseForm | forms.BaseFormSet | None) -> list[ErrorItem]:
    """Every error of the bound forms (and formsets) given, in field order, each linked to its
    field so the summary at the top of the page can send the person to it."""
    items: list[ErrorItem] = []
    for form in forms_:
        if form is None or not form.is_bound:
            continue
        if isinstance(form, forms.BaseFormSet):
            items += [ErrorItem(str(error)) for error in form.non_form_errors()]
            items += error_items(*form.forms)
            continue
        items += [ErrorItem(str(error)) for error in form.non_field_errors()]
        for name, field in form.fields.items():
            errors = form.errors.get(name)
            if not errors:
                continue
            bound = form[name]
            label = str(field.label or name.replace("_", " ").capitalize())
            items += [
                ErrorItem(f"{label}: {error}", bound.id_for_label or bound.auto_id or "")
                for error in errors
            ]
    return items


def invalid_forms(values: Any) -> list[forms.BaseForm | forms.BaseFormSet]:
    """The bound forms with errors among a template context's values: a page shows the summary
    of whichever of its forms came back invalid without each view naming it again."""
    # Only forms already validated: a page's bound filter form is not cleaned again here
    # (that could cost queries a page's count does not allow for).
    return [
        value
        for value in values
        if isinstance(value, forms.BaseForm | forms.BaseFormSet)
        and value.is_bound
        # Django's private "validated yet?" mark, which the stubs leave out.
        and value._errors is not None  # type: ignore[union-attr]
        and not value.is_valid()
    ]
