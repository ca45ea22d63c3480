"""The error summary's pieces: which forms it counts, how each error is worded and linked."""

from __future__ import annotations

from django import forms
from django.template import Context, Template

from core.forms import ErrorItem, error_items, invalid_forms


class Pair(forms.Form):
    name = forms.CharField(label="Your name")
    when = forms.DateField()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("name") == "clash":
            raise forms.ValidationError("Those two do not go together.")
        return data


Pairs = forms.formset_factory(Pair, extra=0, min_num=1, validate_min=True)


def test_each_error_names_its_field_and_links_to_it_after_the_forms_own() -> None:
    form = Pair({"name": "clash", "when": "soon"})
    form.is_valid()

    assert error_items(form) == [
        ErrorItem("Those two do not go together."),
        ErrorItem("When: Enter a valid date.", "id_when"),
    ]


def test_a_formsets_errors_link_to_the_fields_of_each_row() -> None:
    formset = Pairs({"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0", "form-0-when": "x"})
    formset.is_valid()

    assert error_items(formset) == [
        ErrorItem("Your name: This field is required.", "id_form-0-name"),
        ErrorItem("When: Enter a valid date.", "id_form-0-when"),
    ]


def test_only_bound_forms_already_found_invalid_are_summarised() -> None:
    invalid = Pair({"name": ""})
    invalid.is_valid()
    valid = Pair({"name": "Ann", "when": "2026-01-01"})
    valid.is_valid()
    unchecked = Pair({"name": ""})  # cleaning it here could cost a page queries

    assert invalid_forms([invalid, valid, unchecked, Pair(), "text", None]) == [invalid]


def test_the_summary_counts_the_problems_and_is_an_alert_to_focus() -> None:
    form = Pair({"name": "", "when": ""})
    form.is_valid()

    html = Template("{% load form_errors %}{% error_summary %}").render(Context({"f": form}))

    assert "2 problems with this form" in html
    assert 'role="alert"' in html
    assert 'tabindex="-1"' in html
    assert 'href="#id_name"' in html
    one = Pair({"name": "Ann", "when": ""})
    one.is_valid()
    assert "1 problem with this form" in Template(
        "{% load form_errors %}{% error_summary f %}"
    ).render(Context({"f": one}))
    assert Template("{% load form_errors %}{% error_summary %}").render(Context({})).strip() == ""
