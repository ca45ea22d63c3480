"""Forms for assessor-made records. They validate input; assessments.records decides and saves."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone

from assessments.models import RecordKind
from assessments.records import RecordError, check_file
from core.forms import DateInput, declared
from portfolios.models import EvidenceContext, Registration
from qualifications.models import AssessmentCriterion

QUESTION_ROWS = 6

ACCOUNT_LABELS = {
    RecordKind.OBSERVATION: (
        "What was seen",
        "What the learner did, in the order they did it, and how it meets the criteria.",
    ),
    RecordKind.PROFESSIONAL_DISCUSSION: (
        "Summary of the discussion",
        "The topics covered and what the learner showed; the recording holds the rest.",
    ),
    RecordKind.QUESTIONING: (
        "Context of the questioning",
        "Why the questions were asked and what they were to draw out.",
    ),
    # The reason the prior learning counts: a criterion judged met by RPL rests on it
    # (assessments.basis; Pearson BTEC specification, section 9).
    RecordKind.RPL: (
        "Why the prior learning meets the criteria",
        "What the learner learned or achieved before, how you checked it, and how it meets each "
        "criterion. Evidence of learning must be sufficient, reliable and valid (Pearson BTEC "
        "specification, section 9).",
    ),
}


class RecordForm(forms.Form):
    title = forms.CharField(max_length=200)
    occurred_on = forms.DateField(label="Date", widget=DateInput)
    place = forms.CharField(label="Place", max_length=200, help_text="Where it took place.")
    context = forms.ChoiceField(
        label="Where the work was done",
        choices=EvidenceContext.choices,
        initial=EvidenceContext.REAL_WORK_PAID,
        help_text=(
            "Some units must be achieved in real work: simulation or realistic-environment "
            "evidence cannot be mapped to them."
        ),
    )
    account = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=20000)
    criteria = forms.ModelMultipleChoiceField(
        queryset=AssessmentCriterion.objects.none(),
        error_messages={
            "required": "Choose at least one criterion the record covers.",
            "invalid_choice": "Choose criteria from the units this learner takes.",
        },
    )
    recording = forms.FileField(
        label="Audio recording",
        help_text="MP3, M4A, WAV, Ogg, AAC or FLAC.",
        error_messages={"required": "Add the audio recording of the discussion."},
    )

    def __init__(self, *args: Any, kind: str, registration: Registration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        # Most records are written up on the day; the browser's date picker needs an ISO value.
        self.fields["occurred_on"].initial = timezone.localdate
        criteria = declared(self, "criteria", forms.ModelChoiceField)
        criteria.queryset = AssessmentCriterion.objects.filter(
            unit_id__in=registration.unit_choices.values("unit_id")
        ).select_related("unit")
        label, help_text = ACCOUNT_LABELS[RecordKind(kind)]
        self.fields["account"].label = label
        self.fields["account"].help_text = help_text
        if kind == RecordKind.RPL:
            # The evidence of the prior learning, where there is some.
            self.fields["place"].label = "Where the prior learning was gained"
            self.fields["place"].help_text = "The course, employer or awarding body."
            recording = self.fields["recording"]
            recording.label = "Evidence of the prior learning (optional)"
            recording.help_text = "A certificate, transcript or letter: PDF, image or document."
            recording.required = False
        elif kind != RecordKind.PROFESSIONAL_DISCUSSION:
            del self.fields["recording"]

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("Give the record a title.")
        return title

    def clean_recording(self) -> Any:
        upload = self.cleaned_data["recording"]
        if upload is None:
            return upload
        try:
            check_file(self.kind, upload)
        except RecordError as error:
            raise forms.ValidationError(str(error)) from error
        return upload

    def clean_occurred_on(self) -> Any:
        day = self.cleaned_data["occurred_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future.")
        return day


class QuestionForm(forms.Form):
    question = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
    answer = forms.CharField(
        label="The learner's answer",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=10000,
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        question = (cleaned.get("question") or "").strip()
        answer = (cleaned.get("answer") or "").strip()
        if question and not answer:
            self.add_error("answer", "Write down the learner's answer to this question.")
        if answer and not question:
            self.add_error("question", "Write down the question this answer was given to.")
        return cleaned


class BaseQuestionFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not self.pairs():
            raise forms.ValidationError("Record at least one question and the learner's answer.")

    def pairs(self) -> list[tuple[str, str]]:
        return [
            (form.cleaned_data["question"].strip(), form.cleaned_data["answer"].strip())
            for form in self.forms
            if (form.cleaned_data.get("question") or "").strip()
        ]


# formset_factory makes a subclass of the formset it is given; its stub says only BaseFormSet.
QuestionFormSet = cast(
    type[BaseQuestionFormSet],
    forms.formset_factory(
        QuestionForm, formset=BaseQuestionFormSet, extra=QUESTION_ROWS, max_num=50
    ),
)


class AcknowledgeForm(forms.Form):
    disagrees = forms.BooleanField(label="I disagree with something in this record", required=False)
    comment = forms.CharField(
        label="Your comment (optional; needed if you disagree)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("disagrees") and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", "Say what you disagree with, so your assessor can answer it.")
        return cleaned
