"""django-axes counts failed sign-ins per address: count them as sign-in matches them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def username_for_lockout(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    # Sign-in ignores capitals (User.objects.get_by_natural_key), so the lockout must too,
    # or "Lee@x" and "lee@x" would each get their own five guesses.
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(username).strip().lower()
