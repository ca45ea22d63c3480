"""Reading a page sent back with form errors: the summary at the top, each error beside its
field (in the element the field's aria-describedby names) and what was typed kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[Element] = []
        self.by_id: dict[str, Element] = {}
        self.all: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.all.append(element)
        if "id" in element.attrs:
            assert element.attrs["id"] not in self.by_id, f"two elements are #{element.attrs['id']}"
            self.by_id[element.attrs["id"]] = element
        if self.open:
            self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def summary(html: str) -> tuple[str, list[tuple[str, str]]]:
    """The error summary's heading and its items (link target without '#', text)."""
    page = parse(html)
    boxes = [e for e in page.all if "data-error-summary" in e.attrs]
    assert len(boxes) == 1, f"{len(boxes)} error summaries on the page"
    box = boxes[0]
    assert box.attrs.get("role") == "alert"
    assert box.attrs.get("tabindex") == "-1"
    heading = next(e for e in _walk(box) if e.tag == "h2")
    items = []
    for item in (e for e in _walk(box) if e.tag == "li"):
        link = next((e for e in _walk(item) if e.tag == "a"), None)
        items.append((link.attrs["href"].lstrip("#") if link else "", words(item.text)))
    for target, _ in items:
        if target:
            assert target in page.by_id, f"the summary links to #{target}, which is not on the page"
    return words(heading.text), items


def _walk(element: Element) -> Iterator[Element]:
    for child in element.children:
        yield child
        yield from _walk(child)


def error_beside(html: str, field_id: str) -> str:
    """The error text the field itself points to (aria-describedby), for a field that says it
    is invalid."""
    page = parse(html)
    box = page.by_id[field_id]
    described = box.attrs.get("aria-describedby", "").split()
    errors = [page.by_id[i] for i in described if i.endswith("_error")]
    assert box.attrs.get("aria-invalid") == "true" or errors, f"#{field_id} is not marked invalid"
    assert errors, f"#{field_id} names no error in aria-describedby"
    assert all("invalid-feedback" in e.attrs.get("class", "") for e in errors)
    return " ".join(words(e.text) for e in errors)


def value_of(html: str, field_id: str) -> str:
    element = parse(html).by_id[field_id]
    if element.tag == "textarea":
        return element.text.strip("\n")
    return element.attrs.get("value", "")
