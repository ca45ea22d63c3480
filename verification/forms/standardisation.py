"""Forms for standardisation records. They validate input; the services decide and save."""

from __future__ import annotations

from typing import Any

from django import forms

from core.forms import DateInput
from qualifications.models import Qualification, Unit
from verification.models.standardisation import StandardisationMeeting
from verification.standardisation import staff_at


class MeetingForm(forms.Form):
    qualification = forms.ModelChoiceField(
        queryset=Qualification.objects.none(),
        empty_label="Choose…",
        error_messages={"required": "Choose the qualification the meeting standardised."},
    )
    title = forms.CharField(
        label="Topic",
        max_length=200,
        error_messages={"required": "Give the meeting's topic."},
    )
    held_on = forms.DateField(
        label="Held on",
        widget=DateInput,
        error_messages={"required": "Say when the meeting was held."},
    )
    location = forms.CharField(max_length=200, required=False)
    attendees = forms.ModelMultipleChoiceField(
        label="Staff who attended",
        queryset=staff_at(0),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    external_attendees = forms.CharField(
        label="Other attendees",
        help_text="People from outside the centre, one a line.",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=10000
    )

    def __init__(self, *args: Any, centre_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["qualification"].queryset = Qualification.objects.filter(
            centres__pk=centre_id
        ).order_by("number")
        self.fields["attendees"].queryset = staff_at(centre_id)
        self.fields["attendees"].label_from_instance = lambda user: user.get_full_name()

    @classmethod
    def initial_for(cls, meeting: StandardisationMeeting) -> dict[str, Any]:
        return {
            "qualification": meeting.qualification_id,
            "title": meeting.title,
            "held_on": meeting.held_on,
            "location": meeting.location,
            "attendees": list(meeting.attendees.all()),
            "external_attendees": meeting.external_attendees,
            "notes": meeting.notes,
        }


class OutcomeForm(forms.Form):
    decision = forms.CharField(
        label="Decision reached",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Say what the meeting decided."},
    )
    units = forms.ModelMultipleChoiceField(
        label="Units it concerns (optional)",
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    action_owner = forms.ModelChoiceField(
        label="Action owner (optional)",
        queryset=staff_at(0),
        required=False,
        empty_label="No action",
    )
    action_due = forms.DateField(label="Action due by (optional)", widget=DateInput, required=False)

    def __init__(self, *args: Any, meeting: StandardisationMeeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = Unit.objects.filter(
            memberships__qualification_id=meeting.qualification_id
        ).order_by("key")
        self.fields["action_owner"].queryset = staff_at(meeting.centre_id)
        self.fields["action_owner"].label_from_instance = lambda user: user.get_full_name()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action_due") and not data.get("action_owner"):
            self.add_error("action_owner", "Say who owns the action that is due.")
        return data


class MeetingFilterForm(forms.Form):
    qualification = forms.ModelChoiceField(
        queryset=Qualification.objects.none(), required=False, empty_label="All qualifications"
    )

    def __init__(self, *args: Any, centre_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["qualification"].queryset = Qualification.objects.filter(
            centres__pk=centre_id
        ).order_by("number")
