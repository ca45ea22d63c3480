"""What the demo's seeders share (demo/seed.py, demo/quality.py, demo/scale.py): a valid choice
of units, a registration's criteria by unit, the demo password on an account, and small real
files (a one-page PDF, a PNG) built by hand, so that the repository holds no binary."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from demo.centres import DEMO_PASSWORD
from qualifications.combination import check, mandatory_units, optional_units
from qualifications.models import AssessmentCriterion


def a_valid_choice(rules: Any, offset: int) -> set[str]:
    """Optional units that satisfy the rules (greedy; `offset` varies the choice).

    Units are tried first from groups still short of their minimum, then from any group, and
    only while they break no maximum and no barred pair.
    """
    mandatory = set(mandatory_units(rules))
    pool = list(optional_units(rules))
    if not pool:
        return set()
    pool = pool[offset % len(pool) :] + pool[: offset % len(pool)]
    breaking = ("barred", "group_max_credits", "group_max_units", "total_max_credits")

    def breaks(chosen: set[str]) -> bool:
        return any(p.code in breaking for p in check(rules, chosen).problems)

    if not rules.rules_given:
        # Nothing to satisfy: a plausible three.
        return set(pool[:3])

    def short(group: Any, chosen: set[str]) -> bool:
        units = [rules.units[key] for key in group.units if key in chosen]
        credits = sum(unit.credit or 0 for unit in units)
        return bool(
            (group.min_credits and credits < group.min_credits)
            or (group.min_units and len(units) < group.min_units)
        )

    chosen = set(mandatory)
    for group in rules.groups:
        for key in pool:
            if not short(group, chosen):
                break
            if key in group.units and key not in chosen and not breaks(chosen | {key}):
                chosen.add(key)
    for key in pool:
        if check(rules, chosen).ok:
            break
        if key not in chosen and not breaks(chosen | {key}):
            chosen.add(key)
    # Greedy filling can overshoot (a group wanting credits at Level 1 takes every Entry 3 unit
    # tried before one at Level 1). A learner takes what the rules ask for, not ten units for a
    # 7-credit award: drop, latest first, each optional unit the rules do not miss.
    if check(rules, chosen).ok:
        for key in reversed(pool):
            if key in chosen and key not in mandatory and check(rules, chosen - {key}).ok:
                chosen.discard(key)
    return chosen - mandatory


def ensure_password(user: User) -> None:
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])


def tiny_pdf(text: str) -> bytes:
    """A valid one-page PDF saying `text` (Helvetica, A4), built by hand: no binary in the repo."""
    safe = text.encode("latin-1", "replace").replace(b"\\", b"\\\\")
    safe = safe.replace(b"(", b"\\(").replace(b")", b"\\)")
    stream = b"BT /F1 14 Tf 72 770 Td (" + safe + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")  # and it ends with %%EOF
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def tiny_png(rgb: tuple[int, int, int], size: int = 16) -> bytes:
    """A valid square PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def upload(name: str, content: bytes, content_type: str) -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def criteria_by_unit(registration: Any) -> list[list[Any]]:
    """The registration's criteria, one list per unit that has any, in catalogue order."""
    by_unit: dict[int, list[Any]] = {}
    for criterion in (
        AssessmentCriterion.objects.filter(unit__in=registration.unit_choices.values("unit_id"))
        .select_related("unit")
        .order_by("unit__key", "position")
    ):
        by_unit.setdefault(criterion.unit_id, []).append(criterion)
    return list(by_unit.values())
