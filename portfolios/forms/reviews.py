"""Forms of progress reviews (issue 19). They validate; portfolios.reviews changes state."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from portfolios.models import MAX_REVIEW_INTERVAL_WEEKS
from portfolios.reviews import LINK_STATEMENT


class ReviewForm(forms.Form):
    # A date input takes ISO dates only, whatever the locale formats.
    review_date = forms.DateField(
        label="Date of the review",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    progress_comment = forms.CharField(
        label="Progress against the knowledge, skills and behaviours",
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What was discussed: the KSBs evidenced since the last review, and the gaps.",
    )
    targets = forms.CharField(
        label="Targets agreed",
        max_length=3_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One target a line, each with its date.",
    )
    staff_notes = forms.CharField(
        label="Wellbeing and safeguarding notes (seen only by the centre's staff)",
        max_length=5_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Never shown to the apprentice or the employer, nor printed on the PDF.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["review_date"].initial = timezone.localdate()


class ReviewLinkForm(forms.Form):
    name = forms.CharField(label="Name of the person at the employer", max_length=150)
    email = forms.EmailField(label="Their e-mail address", max_length=254)


class ReviewLinkSignForm(forms.Form):
    signed_name = forms.CharField(label="Your full name", max_length=150)
    confirmed = forms.BooleanField(label=LINK_STATEMENT, required=False)


class ReviewIntervalForm(forms.Form):
    weeks = forms.IntegerField(
        label="Weeks between progress reviews",
        min_value=1,
        max_value=MAX_REVIEW_INTERVAL_WEEKS,
        help_text="The first review is due this long after the practical period starts; each "
        "next one this long after the last signed review.",
    )
