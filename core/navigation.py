"""What the home page offers each person: one card per thing their roles let them do.

Apps add their cards here as they land (by URL name, so `core` imports none of them).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse


@dataclass(frozen=True)
class Section:
    title: str
    description: str
    url: str
    link_text: str


def home_sections(user: AbstractBaseUser | AnonymousUser) -> list[Section]:
    sections: list[Section] = []
    if getattr(user, "is_staff", False):
        sections.append(
            Section(
                title="Site administration",
                description="Manage users and reference data in the Django admin site.",
                url=reverse("admin:index"),
                link_text="Open site administration",
            )
        )
    sections.append(
        Section(
            title="Qualification catalogue",
            description="Qualifications, their rules of combination, units, learning outcomes "
            "and assessment criteria, as the awarding bodies specify them.",
            url=reverse("qualifications:list"),
            link_text="Browse qualifications",
        )
    )
    sections.append(
        Section(
            title="Your account",
            description="Change your password.",
            url=reverse("password_change"),
            link_text="Change password",
        )
    )
    return sections
