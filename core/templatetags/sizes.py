"""`{{ file.size|filesize }}`: a size as core.sizes.human_size writes it ("666 bytes", "26 KB")."""

from __future__ import annotations

from django import template

from core.sizes import human_size

register = template.Library()


@register.filter
def filesize(value: int | float | None) -> str:
    return "" if value is None else human_size(value)
