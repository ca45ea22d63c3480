"""A file's size as a person reads it: "666 bytes", "26 KB", "1.2 MB".

Shown wherever an evidence file's size is (templates through the `filesize` filter, refusal
messages); static/js/upload.js has the same rule in JavaScript, so a size reads the same before
and after upload. Django's `filesizeformat` says "25.4 KB" and "1.0 MB"; the upload widget used
to round everything up to whole megabytes ("(1 MB)" for a 666-byte PDF).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

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
    # Halves round up, as JavaScript's toLocaleString and Math.round do (Python's round and
    # format would make 1,280 bytes "1.2 KB" here and "1.3 KB" in the widget).
    places = Decimal("0.1") if value < 10 else Decimal(1)
    rounded = Decimal(value).quantize(places, rounding=ROUND_HALF_UP)
    return f"{f'{rounded:,}'.removesuffix('.0')} {unit}"
