"""Rendering a template to an archival, tagged PDF with WeasyPrint; nothing here knows records.

`render_pdf(template_name, context) -> bytes` is the one entry point, so other apps (the claim
batch summary in verification) print through the same fonts, page furniture and PDF/A settings.
"""

from __future__ import annotations

import gc
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, TypedDict

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

# PDF/A-3b: archival, and the variant WeasyPrint can make with tags for screen readers.
PDF_VARIANT = "pdf/a-3b"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def font_cache_dir() -> Path:
    """Where static font instances are kept: the user's cache (~/.cache/eportfolio/pdf-fonts,
    or under $XDG_CACHE_HOME), so they are made once a machine, like the packages they come
    from, not once a clone (a fresh clone's first `make run` would spend most of its seeding
    on them); else .cache/pdf-fonts beside manage.py (git-ignored); else the temporary
    directory when both are read-only."""
    user_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    for folder in (
        user_cache / "eportfolio" / "pdf-fonts",
        Path(settings.BASE_DIR) / ".cache" / "pdf-fonts",
        Path(tempfile.gettempdir()) / "eportfolio-pdf-fonts",
    ):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    raise OSError("No writable directory for the PDF fonts' static instances")


def static_instance(variable: Path, weight: int) -> Path:
    """A static instance of a variable font at `weight` (other axes at their defaults), made
    once with fontTools and kept on disk under the variable file's hash: a new font package
    makes new instances. Written under a temporary name and renamed, so two workers making
    it at once never read half a file."""
    digest = hashlib.sha256(variable.read_bytes()).hexdigest()[:16]
    stem = variable.name.split("[", 1)[0]
    path = font_cache_dir() / f"{stem}-{digest}-wght{weight}.ttf"
    if path.exists():
        return path
    from fontTools.ttLib import TTFont
    from fontTools.varLib.instancer import instantiateVariableFont

    # In place: the font was opened for this alone, and copying it first costs a third of the time.
    font = instantiateVariableFont(TTFont(variable), {"wght": weight}, static=True, inplace=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as part:
        font.save(part)
    os.chmod(part.name, 0o644)
    os.replace(part.name, path)
    return path


class FontFace(TypedDict):
    style: str
    weight: str
    path: Path


class FontSource(FontFace):
    url: str  # the file's file:// address, for the @font-face rule


@cache
def font_faces() -> list[FontSource]:
    """The @font-face sources: Noto Sans from its PyPI package (so a fresh clone has it), else
    Debian's DejaVu. PDF/A needs every font embedded, so never fall back to whatever is there."""
    try:
        from fontpkg_noto_sans import ROOT
    except ImportError:  # pragma: no cover - the package is a pinned dependency
        faces: list[FontFace] = [
            {"style": "normal", "weight": "normal", "path": DEJAVU / "DejaVuSans.ttf"},
            {"style": "normal", "weight": "bold", "path": DEJAVU / "DejaVuSans-Bold.ttf"},
            {"style": "italic", "weight": "normal", "path": DEJAVU / "DejaVuSans-Oblique.ttf"},
        ]
    else:
        files = Path(ROOT) / "files"
        upright = files / "NotoSans[wdth,wght].ttf"
        italic = files / "NotoSans-Italic[wdth,wght].ttf"
        # The package ships variable fonts. Left variable, WeasyPrint instances each weight with
        # fontTools on every PDF it writes; static instances made once are simply subset. The
        # records print no italics, so those faces stay variable rather than cost their making.
        faces = [
            {"style": "normal", "weight": "normal", "path": static_instance(upright, 400)},
            {"style": "normal", "weight": "bold", "path": static_instance(upright, 700)},
            {"style": "italic", "weight": "normal", "path": italic},
            {"style": "italic", "weight": "bold", "path": italic},
        ]
    missing = [str(face["path"]) for face in faces if not Path(face["path"]).exists()]
    if missing:
        raise FileNotFoundError(f"PDF fonts are missing: {', '.join(missing)}")
    return [FontSource(**face, url=Path(face["path"]).as_uri()) for face in faces]


def qr_svg(url: str) -> SafeString:
    """An inline SVG QR code for `url` (segno writes only the path, no script or external refs)."""
    svg = segno.make(url, error="m").svg_inline(scale=3, border=2, title="")
    return mark_safe(svg)  # noqa: S308 - segno's own output, the URL is encoded as modules


@cache
def user_agent_stylesheet() -> Any:
    """WeasyPrint's own HTML stylesheet less its rules for every element's ::marker, footnote
    and note pseudo-elements. Those six rules give each of a long record's thousands of cells
    six pseudo-element styles to cascade and compute: a fifth of the render time, for
    pseudo-elements these documents never show. Markers stay on list items."""
    from weasyprint import CSS
    from weasyprint.css.counters import CounterStyle
    from weasyprint.html import UA

    lines = []
    for line in UA.splitlines():
        if line.startswith(("::footnote-", "::note-")):
            continue
        lines.append("li" + line if line.startswith("::marker") else line)
    if len(lines) != len(UA.splitlines()) - 5:  # pragma: no cover - a new WeasyPrint
        raise RuntimeError("WeasyPrint's user-agent stylesheet changed: review pdf.py")
    # Its @counter-style rules go to a dictionary of their own: WeasyPrint renders with a copy of
    # the counter styles it parsed from its own sheet, and parsing `disc` and `decimal` into
    # that one again only warns that they are defined already.
    return CSS(string="\n".join(lines), counter_style=CounterStyle())


def render_html(template_name: str, context: dict[str, Any]) -> str:
    """The HTML a template that extends pdf/base.html gives, with the record's fonts."""
    return render_to_string(template_name, {**context, "font_faces": font_faces()})


def html_to_pdf(html: str) -> bytes:
    """PDF/A bytes, tagged for screen readers, of HTML from render_html()."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    class Document(HTML):
        # WeasyPrint (pinned) asks this private method for its default stylesheets.
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [user_agent_stylesheet()]

    fonts = FontConfiguration()
    with collector_paused():
        return Document(string=html).write_pdf(
            pdf_variant=PDF_VARIANT, pdf_tags=True, font_config=fonts
        )


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a template that extends pdf/base.html to PDF/A bytes, tagged for screen readers."""
    return html_to_pdf(render_html(template_name, context))


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while WeasyPrint lays out: it allocates millions of small
    objects, and each collection they set off walks the whole heap of a process that has run
    Django for a while (up to a sixth of a long record's time). Their cycles are collected
    once it is back on; the largest record peaks about 25 MB higher meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
