"""The server-drawn pictures: well-formed SVG, one accessible image each, names escaped, bars in
proportion, and words where there is nothing to draw."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

import pytest

from core.charts import (
    NOTHING_YET,
    SHADES,
    WIDTH,
    Bar,
    bar_chart,
    heat_map,
    shade,
    step_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    # Our own output, not untrusted input: the standard parser is the check.
    root = ET.fromstring(markup)  # noqa: S314
    assert root.tag == f"{SVG}svg"
    return root


def bars_of(root: ET.Element) -> list[float]:
    return [
        float(r.get("width", 0)) for r in root.iter(f"{SVG}rect") if r.get("class") == "chart-bar"
    ]


def test_a_bar_chart_is_one_labelled_image_that_fits_a_phone():
    root = parse(bar_chart([Bar("Unit 1", 3, 10)], label="Criteria met per unit"))
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Criteria met per unit"
    assert root.find(f"{SVG}title").text == "Criteria met per unit"
    assert root.get("width") == "100%"
    assert root.get("viewBox").split()[2] == str(WIDTH)
    # No style attribute anywhere: the CSP refuses them.
    assert not [el for el in root.iter() if "style" in el.attrib]


def test_bars_are_in_proportion_to_their_total_or_the_largest_value():
    root = parse(bar_chart([Bar("a", 3, 12), Bar("b", 12, 12), Bar("c", 0, 12)], label="x"))
    assert bars_of(root) == [WIDTH / 4, WIDTH]  # c has no bar at all
    root = parse(bar_chart([Bar("a", 5), Bar("b", 10)], label="x"))
    assert bars_of(root) == [WIDTH / 2, WIDTH]


def test_figures_are_printed_so_meaning_is_not_in_colour_alone():
    markup = bar_chart([Bar("On track", 4, 9), Bar("Behind", 2, figure="2 learners")], label="x")
    texts = [t.text for t in parse(markup).iter(f"{SVG}text")]
    assert "4 of 9" in texts
    assert "2 learners" in texts


def test_names_are_escaped():
    evil = '<script>alert("x")</script> & Co'
    for markup in (
        bar_chart([Bar(evil, 1)], label=evil),
        heat_map([evil], [evil], [[1]], label=evil),
        step_chart([(datetime.date(2026, 1, 5), 1)], label=evil),
    ):
        assert "<script>" not in markup
        root = parse(markup)  # still well-formed
        assert root.get("aria-label") == evil


@pytest.mark.parametrize(
    "markup",
    [
        bar_chart([], label="x"),
        heat_map([], [], [], label="x"),
        step_chart([], label="x"),
    ],
)
def test_empty_data_says_so_in_words(markup):
    root = parse(markup)
    assert root.get("role") == "img"
    assert root.get("aria-label") == NOTHING_YET
    assert NOTHING_YET in [t.text for t in root.iter(f"{SVG}text")]


def test_the_empty_message_can_be_the_pages_own():
    root = parse(bar_chart([], label="x", empty="No learners yet."))
    assert root.get("aria-label") == "No learners yet."


def test_a_step_chart_climbs_to_the_last_running_total():
    weeks = [datetime.date(2026, 1, 5) + datetime.timedelta(weeks=n) for n in range(4)]
    markup = step_chart(list(zip(weeks, [1, 1, 4, 6], strict=True)), label="Met", total=10)
    root = parse(markup)
    assert len(list(root.iter(f"{SVG}circle"))) == 4
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "5 January 2026" in texts
    assert "26 January 2026" in texts
    assert "All 10" in texts
    assert "6" in texts
    path = next(p for p in root.iter(f"{SVG}path") if p.get("class") == "chart-line")
    # Steps: horizontal then vertical moves only.
    assert path.get("d").startswith("M")
    assert " H" in path.get("d")
    assert " V" in path.get("d")


def test_a_heat_map_prints_every_count_and_shades_by_it():
    root = parse(heat_map(["Ann", "Bob"], ["U1", "U2"], [[0, 2], [4, 1]], label="Samples"))
    cells = list(root.iter(f"{SVG}g"))
    assert [g.find(f"{SVG}text").text for g in cells] == ["0", "2", "4", "1"]
    fills = [g.find(f"{SVG}rect").get("fill") for g in cells]
    assert fills[0] == SHADES[0][0]  # none is white
    assert fills[2] == SHADES[-1][0]  # the largest is darkest
    assert cells[1].find(f"{SVG}title").text == "Ann, U2: 2"


def test_shades_rise_with_the_count():
    steps = [SHADES.index(shade(n, 8)) for n in range(9)]
    assert steps == sorted(steps)
    assert steps[0] == 0
    assert steps[-1] == len(SHADES) - 1


def test_a_heat_map_keeps_its_cells_one_size_and_shrinks_only_to_fit():
    """Drawn at its own width (site.css lets it shrink to a phone), not stretched to the page:
    its cells stay one size however many columns there are."""
    narrow = parse(heat_map(["A"], ["U1"], [[1]], label="x"))
    wide = parse(heat_map(["A"], [f"U{n}" for n in range(12)], [[1] * 12], label="x"))
    assert narrow.get("width") == str(WIDTH)
    assert "chart-grid" in wide.get("class")
    assert float(wide.get("width")) > WIDTH
    assert wide.get("viewBox").split()[2] == wide.get("width")


def test_long_date_writes_dates_as_the_templates_do() -> None:
    # Spelt out for speed; the same words as Django's "j F Y", every month of a year.
    import datetime

    from django.utils import dateformat

    from core.charts import long_date

    for month in range(1, 13):
        day = datetime.date(2026, month, 3 + month)
        assert long_date(day) == dateformat.format(day, "j F Y")


def test_the_figures_table_escapes_and_heads_each_row() -> None:
    from core.charts import figures_table

    html = str(
        figures_table(
            caption="Criteria <met>",
            headers=("Unit", "Met"),
            rows=[("<b>Unit & one</b>", 3), ("Two", 0)],
            testid="t",
        )
    )

    assert "<caption>Criteria &lt;met&gt;</caption>" in html
    assert '<th scope="col">Unit</th><th scope="col">Met</th>' in html
    assert '<tr><th scope="row">&lt;b&gt;Unit &amp; one&lt;/b&gt;</th><td>3</td></tr>' in html
    assert html.startswith('<table class="table table-sm align-middle" data-testid="t">')
