"""The form that makes an API token: a name, scopes, whose it is, an optional expiry."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone

from accounts.models import Centre
from api.scopes import Scope

PERSONAL = "me"


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What the token is for, such as “MIS nightly export”."
    )
    owner = forms.ChoiceField(
        label="Whose token",
        help_text="A centre's token reads what the centre's admins read there; yours reads what "
        "you read.",
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, label="What it may do"
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on (optional)",
        help_text="It stops working at the start of this day.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.centres = {str(centre.pk): centre for centre in centres}
        owner = cast(forms.ChoiceField, self.fields["owner"])  # declared above
        owner.choices = [
            (PERSONAL, "Mine (acts as me)"),
            *((pk, f"{centre.name} (acts as its admins)") for pk, centre in self.centres.items()),
        ]

    def clean_expires_on(self) -> datetime.date | None:
        day: datetime.date | None = self.cleaned_data["expires_on"]
        if day is not None and day <= timezone.localdate():
            raise forms.ValidationError("Choose a day after today, or leave it empty.")
        return day

    def centre(self) -> Centre | None:
        return self.centres.get(self.cleaned_data["owner"])

    def expires_at(self) -> datetime.datetime | None:
        day = self.cleaned_data["expires_on"]
        if day is None:
            return None
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
