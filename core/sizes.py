"""A file's size as a person reads it: "666 bytes", "26 KB", "1.2 MB".

Shown wherever an evidence file's size is (templates through the `filesize` filter, refusal
messages); static/js/upload.js has the same rule in JavaScript, so a size reads the same before
and after upload. Django's `filesizeformat` says "25.4 KB" and "1.0 MB"; the upload widget used
to round everything up to whole megabytes ("(1 MB)" for a 666-byte PDF).
"""

from __future__ import annotations

_UNITS = ("KB", "MB", "GB", "TB")


def human_size(size: int | float) -> str:
    """Whole bytes under 1 KB; then one decimal under 10 of a unit, whole units from 10 up."""
    size = max(0, int(size))
    if size < 1024:
        return "1 byte" if size == 1 else f"{size:,} bytes"
    value = size / 1024
    unit = _UNITS[0]
    for unit in _UNITS:
        if round(value, 1) < 1024 or unit == _UNITS[-1]:
            break
        value /= 1024
    text = f"{value:,.1f}" if value < 10 else f"{round(value):,}"
    return f"{text.removesuffix('.0')} {unit}"
