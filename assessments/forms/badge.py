"""The public form that checks an Open Badge someone holds: pasted, or its .jwt file chosen."""

from __future__ import annotations

from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat

from assessments.badges import MAX_TOKEN_BYTES


class BadgeCheckForm(forms.Form):
    token = forms.CharField(
        label="Paste the badge",
        required=False,
        strip=True,
        # Sixteen times a real badge: room for any wallet's line breaks, never a novel.
        max_length=MAX_TOKEN_BYTES,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "spellcheck": "false",
                "autocomplete": "off",
                "class": "font-monospace",
            }
        ),
        help_text="The text of the .jwt file: three long parts separated by dots.",
    )
    file = forms.FileField(
        label="Or choose the badge file",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".jwt,application/jwt,text/plain"}),
    )
    email = forms.EmailField(
        label="The learner's e-mail address (optional)",
        required=False,
        help_text=(
            "Compared with the badge's hashed address, to tell whether the badge is theirs. "
            "It is not kept."
        ),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data.get("file")
        if not upload:
            return ""
        if upload.size > MAX_TOKEN_BYTES:
            raise forms.ValidationError(
                f"A badge file is a few kilobytes; this one is {filesizeformat(upload.size)}. "
                "Choose the .jwt file you downloaded."
            )
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(
                "This file is not a badge: a badge is a text file (.jwt)."
            ) from error

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        token, text = cleaned.get("token", ""), cleaned.get("file", "")
        if self.errors:
            return cleaned
        if token and text:
            raise forms.ValidationError("Paste the badge or choose its file, not both.")
        if not token and not text:
            raise forms.ValidationError("Paste the badge, or choose its .jwt file.")
        cleaned["badge"] = token or text
        return cleaned
