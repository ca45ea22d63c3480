"""Recording a centre's rule of combination where the catalogue's document gives none."""

from __future__ import annotations

from typing import Any

from django import forms

from portfolios.models import RuleBasis
from qualifications.combination import CombinationRules


class CombinationRuleForm(forms.Form):
    basis = forms.ChoiceField(
        label="Where the rule comes from", choices=RuleBasis.choices, widget=forms.RadioSelect
    )
    source = forms.CharField(
        label="Source",
        max_length=1_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "For the awarding body's specification: its title, version or date, and the "
            "section or page of the rules of combination. For an interim rule: why this rule, "
            "and who agreed it (for example your EQA)."
        ),
    )
    mandatory_units = forms.MultipleChoiceField(
        label="Mandatory units", required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    min_credits = forms.IntegerField(
        label="Minimum credits in total", required=False, min_value=1, max_value=999
    )
    min_units = forms.IntegerField(
        label="Minimum number of units in total", required=False, min_value=1, max_value=99
    )

    def __init__(self, *args: Any, rules: CombinationRules, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Same pattern as UnitChoiceForm: the choices are the qualification's units.
        self.fields["mandatory_units"].choices = [  # type: ignore[attr-defined]
            (unit.key, f"{unit.label} {unit.title} ({unit.credit or 0} credits)")
            for unit in rules.units.values()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            not data.get("mandatory_units")
            and not data.get("min_credits")
            and not data.get("min_units")
        ):
            raise forms.ValidationError(
                "A rule must ask for something: mandatory units, a minimum of credits or a "
                "minimum number of units."
            )
        return data
