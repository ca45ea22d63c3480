"""Rendering a template to an archival, tagged PDF with WeasyPrint; nothing here knows records.

`render_pdf(template_name, context) -> bytes` is the one entry point, so other apps (the claim
batch summary in verification) print through the same fonts, page furniture and PDF/A settings.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

# PDF/A-3b: archival, and the variant WeasyPrint can make with tags for screen readers.
PDF_VARIANT = "pdf/a-3b"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@cache
def font_faces() -> list[dict[str, str]]:
    """The @font-face sources: Noto Sans from its PyPI package (so a fresh clone has it), else
    Debian's DejaVu. PDF/A needs every font embedded, so never fall back to whatever is there."""
    try:
        from fontpkg_noto_sans import ROOT
    except ImportError:  # pragma: no cover - the package is a pinned dependency
        faces = [
            {"style": "normal", "weight": "normal", "path": DEJAVU / "DejaVuSans.ttf"},
            {"style": "normal", "weight": "bold", "path": DEJAVU / "DejaVuSans-Bold.ttf"},
            {"style": "italic", "weight": "normal", "path": DEJAVU / "DejaVuSans-Oblique.ttf"},
        ]
    else:
        files = Path(ROOT) / "files"
        # One variable font carries every weight; WeasyPrint picks the instance by weight.
        faces = [
            {"style": style, "weight": weight, "path": files / name}
            for style, name in (
                ("normal", "NotoSans[wdth,wght].ttf"),
                ("italic", "NotoSans-Italic[wdth,wght].ttf"),
            )
            for weight in ("normal", "bold")
        ]
    missing = [str(face["path"]) for face in faces if not Path(face["path"]).exists()]
    if missing:
        raise FileNotFoundError(f"PDF fonts are missing: {', '.join(missing)}")
    return [{**face, "url": Path(face["path"]).as_uri()} for face in faces]


def qr_svg(url: str) -> SafeString:
    """An inline SVG QR code for `url` (segno writes only the path, no script or external refs)."""
    svg = segno.make(url, error="m").svg_inline(scale=3, border=2, title="")
    return mark_safe(svg)  # noqa: S308 - segno's own output, the URL is encoded as modules


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a template that extends pdf/base.html to PDF/A bytes, tagged for screen readers."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    html = render_to_string(template_name, {**context, "font_faces": font_faces()})
    fonts = FontConfiguration()
    return HTML(string=html).write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True, font_config=fonts)
