from __future__ import annotations

from django import forms

from qualifications.models import LEVEL_CHOICES, AwardingBody, QualificationStatus


class QualificationFilterForm(forms.Form):
    awarding_body = forms.ModelChoiceField(
        queryset=AwardingBody.objects.order_by("name"),
        required=False,
        empty_label="Any awarding body",
        to_field_name="code",
    )
    level = forms.ChoiceField(choices=[("", "Any level"), *LEVEL_CHOICES], required=False)
    status = forms.ChoiceField(
        choices=[("", "Any status"), *QualificationStatus.choices], required=False
    )
