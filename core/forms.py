"""Form pieces every app shares."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


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
    ) -> str:
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
