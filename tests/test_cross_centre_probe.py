"""Issue 14's probe: no centre reaches another's people.

Both demo centres are built with the project's own command (`seed_demo --second-centre`).
Every demo login of each centre, in each of their current roles, crawls the site from its home
page, following same-site links breadth first; every URL reached is recorded with its route.
Then every role of the *other* centre asks for a sample of those URLs (a few per route, so
every kind of page and download is tried) and must get no server error and, on a 200, none
of the first centre's private markers: its people's names and e-mail addresses, its learners'
ULNs, phone numbers and employers, its witnesses and its name. While crawling their own centre,
pages must not show the other centre's markers either.

`leaks()` is the checker; the tests at the end plant leaks and show that it, and the probe
around it, catch them.
"""

from __future__ import annotations

import html
import io
import mimetypes
import re
import time
import zipfile
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from io import StringIO
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils.html import escape

from accounts.models import Membership, Role, User
from demo.centres import NORTHGATE, SOUTHFIELD, DemoCentre

# Pages a crawl never opens: leaving, files for layout, and public reference data.
SKIPPED_PREFIXES = ("/accounts/logout/", "/accounts/role/", "/static/", "/catalogue/", "/admin/")
# Routes that answer anyone by design, with what they may show of a centre and why.
PUBLIC_BY_DESIGN: dict[str, tuple[frozenset[str], str]] = {
    "verify": (
        frozenset({"learner name", "centre name"}),
        "anyone holding an achievement record's code may check it: the learner's name and the "
        "qualification (a claim summary's subject and centre), nothing else",
    ),
    "health": (frozenset(), "the load balancer's probe: database, broker and storage, no people"),
    # Issue 20: what any verifier of a centre's Open Badges must fetch without signing in.
    "badge_did": (
        frozenset({"centre name"}),
        "the centre's DID document: its name and the public key its badges are signed with",
    ),
    "badge_status_list": (
        frozenset({"centre name"}),
        "the centre's signed revocation list: bits by position, no learner, no record",
    ),
}
# A centre's roles, between them, must reach pages of each main kind of object there, so the
# probe cannot pass by reaching nothing.
MAIN_KINDS = {
    "registrations": "portfolios:registration",
    "evidence": "evidence:detail",
    "evidence files": "files:download",
    "samples": "verification:sample",
    "claims": "certification:claim_batch",
    "achievement records": "assessments:achievement_download",
}
PAGES_PER_ROLE = 150
# Per role while crawling: enough of each kind, no endless filter variants. A learner's pages
# are all their own portfolio's, so fewer of each kind show as much.
PAGES_PER_ROUTE = 5
LEARNER_PAGES_PER_ROUTE = 3
CROSS_PER_ROUTE = 3  # URLs of each route that the other centre's roles try

# ---------------------------------------------------------------- markers and the checker


def private_markers(demo: DemoCentre) -> dict[str, str]:
    """What no one outside `demo`'s centre may read, each with its kind."""
    markers = {demo.name: "centre name"}
    for person in demo.staff:
        markers[person.full_name] = "staff name"
        markers[person.email] = "staff e-mail"
    finished = [(f.name, f.born, f.employer) for f in demo.finished]
    for learners, done in ((demo.learners, False), (finished, True)):
        for index, (name, _, employer) in enumerate(learners):
            markers[name] = "learner name"
            markers[demo.learner_email(name)] = "learner e-mail"
            markers[demo.uln(index, finished=done)] = "ULN"
            markers[demo.phone(index, finished=done)] = "phone"
            markers[employer] = "employer"
    for witness in demo.witnesses:
        markers[witness.name] = "witness name"
        markers[witness.email] = "witness e-mail"
    return markers


def _variants(markers: Mapping[str, str]) -> list[tuple[str, str]]:
    # As written, and as HTML escapes it ("O'Connor" is "O&#x27;Connor" on a page).
    return [(variant, marker) for marker in markers for variant in {marker, escape(marker)}]


def find_markers(text: str, markers: Mapping[str, str]) -> set[str]:
    # PDFs and templates break lines where they like: compare with single spaces; and a PDF's
    # Helvetica prints an apostrophe as a right quote.
    flat = " ".join(text.split()).replace("\u2019", "'")
    # A plain substring test per marker: several times faster than one regular expression of
    # them all, and the probe reads thousands of pages.
    return {marker for variant, marker in _variants(markers) if variant in flat}


def read_body(response: HttpResponseBase) -> bytes:
    """The whole body, streamed or not. The test client closes a response when its body has
    been read to the end (so a file or a ZIP lets go), with the database connection kept; a
    close of our own would end that connection."""
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined]


TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


def texts_in(body: bytes, content_type: str, *, pdfs: bool = True) -> Iterator[str]:
    """The text a person could read in a body: pages, CSV, JSON, PDFs (unless told not to
    read them: it is slow) and what a ZIP holds."""
    kind = content_type.split(";")[0].strip().lower()
    if kind.startswith(TEXT_TYPES) or kind.endswith(("+json", "+xml", "/csv")):
        yield body.decode("utf-8", "replace")
    elif kind == "application/pdf" and pdfs:
        from pypdf import PdfReader

        try:
            reader = PdfReader(io.BytesIO(body))
            yield "\n".join(page.extract_text() or "" for page in reader.pages)
        except Exception:  # a PDF pypdf cannot read is checked as bytes
            yield body.decode("latin-1")
    elif kind in ("application/zip", "application/x-zip-compressed"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for info in archive.infolist():
                guessed = mimetypes.guess_type(info.filename)[0] or "application/octet-stream"
                yield from texts_in(archive.read(info), guessed, pdfs=pdfs)
                yield info.filename  # a file's name can name its owner too


def is_file(response: HttpResponseBase) -> bool:
    kind = response.get("Content-Type", "").split(";")[0]
    return response.has_header("Content-Disposition") or kind not in ("text/html", "")


def leaks(
    response: HttpResponseBase,
    markers: Mapping[str, str],
    *,
    route: str = "",
    body: bytes = b"",
    pdfs: bool = True,
) -> list[str]:
    """What `response` shows of `markers` that its route may not: ["Helen Carter (staff
    name)", ...]; empty when it shows nothing private. A 200 only: refusals show nothing. The
    body is read unless given."""
    if response.status_code != 200:
        return []
    allowed = PUBLIC_BY_DESIGN[route][0] if route in PUBLIC_BY_DESIGN else frozenset()
    body = body or read_body(response)
    found: set[str] = set()
    for text in texts_in(body, response.get("Content-Type", ""), pdfs=pdfs):
        found |= find_markers(text, markers)
    return sorted(f"{m} ({markers[m]})" for m in found if markers[m] not in allowed)


# ---------------------------------------------------------------- the crawl


# Every reference a browser would follow or fetch: links, images, media, htmx's GETs. Regular
# expressions rather than an HTML parser: twenty times faster, and the templates always quote.
LINK = re.compile(
    r'<(?:a|img|audio|video|object)\b[^>]*?\s(?:href|src|data)="([^"]*)"|\shx-get="([^"]*)"', re.I
)


def same_site(href: str, base: str) -> str | None:
    """`href` as a path (and query) on this site that a crawl may open, or None."""
    parts = urlsplit(urljoin(base, href))
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return None
    if parts.path.startswith(SKIPPED_PREFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def links_in(page: str, base: str) -> list[str | None]:
    return [same_site(html.unescape(a or b), base) for a, b in LINK.findall(page)]


def route_of(url: str) -> str:
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return "(no route)"


def takes_an_id(url: str) -> bool:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return False
    return bool(match.args or match.kwargs)


@dataclass(frozen=True)
class Seat:
    """One person working in one of their roles."""

    user: User
    membership: Membership

    def __str__(self) -> str:
        return f"{self.user.email} as {self.membership.role}"

    def client(self) -> Client:
        # Server errors come back as 500s to be reported with their URL, not raised.
        client = Client(raise_request_exception=False)
        client.force_login(self.user)
        switched = client.post(reverse("switch_role"), {"membership": self.membership.pk})
        assert switched.status_code == 302, (str(self), switched.status_code)
        return client


def seats(demo: DemoCentre) -> list[Seat]:
    """Every demo login of the centre in every one of their current roles."""
    emails = [login["email"] for login in demo.logins()]
    found = []
    for user in sorted(User.objects.filter(email__in=emails), key=lambda u: emails.index(u.email)):
        for membership in Membership.objects.current().filter(user=user).order_by("pk"):
            found.append(Seat(user, membership))
    return found


@dataclass(frozen=True)
class Page:
    url: str
    route: str
    status: int
    seat: str


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    requests: int = 0
    # By route, to see what costs.
    seconds: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, seat: object, url: str, problem: str) -> None:
        self.problems.append(f"{url} as {seat}: {problem}")

    def get(self, client: Client, url: str, route: str) -> tuple[HttpResponseBase, bytes]:
        started = time.perf_counter()
        response = client.get(url)
        body = read_body(response)
        self.seconds[route] += time.perf_counter() - started
        self.requests += 1
        self.counts[route] += 1
        return response, body

    def slowest(self, count: int = 5) -> str:
        return ", ".join(
            f"{route} {seconds:.0f} s / {self.counts[route]}"
            for route, seconds in self.seconds.most_common(count)
        )


def crawl(seat: Seat, foreign: Mapping[str, str], findings: Findings) -> list[Page]:
    """Breadth first from the home page, as `seat`; every page must be free of server errors
    and of the `foreign` (the other centre's) markers."""
    client = seat.client()
    queue = deque(["/"])
    seen = {"/"}
    per_route: Counter[str] = Counter()
    cap = LEARNER_PAGES_PER_ROUTE if seat.membership.role == Role.LEARNER else PAGES_PER_ROUTE
    pages: list[Page] = []
    while queue and len(pages) < PAGES_PER_ROLE:
        url = queue.popleft()
        route = route_of(url)
        if per_route[route] >= cap:
            continue
        per_route[route] += 1
        response, body = findings.get(client, url, route)
        pages.append(Page(url, route, response.status_code, str(seat)))
        if response.status_code >= 500:
            findings.add(seat, url, f"{response.status_code} on its own centre's page")
            continue
        # A centre's own evidence PDFs hold its own people: reading them all costs more than
        # it could find. The other centre's roles read them below.
        for leak in leaks(response, foreign, route=route, body=body, pdfs=False):
            findings.add(seat, url, f"shows the other centre's {leak}")
        targets: list[str | None] = []
        if response.status_code in (301, 302, 303, 307, 308):
            targets = [same_site(response["Location"], url)]
        elif response.status_code == 200 and not is_file(response):
            targets = links_in(body.decode("utf-8", "replace"), url)
        for target in targets:
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
    return pages


def sample(pages: Iterable[Page], per_route: int = CROSS_PER_ROUTE) -> dict[str, list[Page]]:
    """A few of the URLs each route answered with a 200, different objects first."""
    by_route: dict[str, list[Page]] = {}
    for page in pages:
        if page.status == 200:
            by_route.setdefault(page.route, []).append(page)
    chosen = {}
    for route, found in by_route.items():
        paths: dict[str, Page] = {}
        for page in found:  # one URL per path (the same page with other filters waits)
            paths.setdefault(urlsplit(page.url).path, page)
        picked = list(paths.values())[:per_route]
        picked += [p for p in found if p not in picked][: per_route - len(picked)]
        chosen[route] = picked
    return chosen


def targets_for(
    seats: list[Seat], sampled: dict[str, list[Page]]
) -> Iterator[tuple[Seat, list[Page]]]:
    """Staff try every sampled URL. Learners share one role and one rule (their own work
    only), so each tries one URL of every route, taking turns, and together they try all."""
    learners = 0
    for seat in seats:
        if seat.membership.role != Role.LEARNER:
            yield seat, [page for pages in sampled.values() for page in pages]
        else:
            yield seat, [pages[learners % len(pages)] for pages in sampled.values()]
            learners += 1


def cross(targets: list[Page], seat: Seat, markers: Mapping[str, str], findings: Findings) -> None:
    """`seat`, of the other centre, asks for each of `targets`: nothing of `markers` comes back."""
    client = seat.client()
    for target in targets:
        response, body = findings.get(client, target.url, target.route)
        if response.status_code >= 500:
            findings.add(seat, target.url, f"{response.status_code}")
            continue
        for leak in leaks(response, markers, route=target.route, body=body):
            findings.add(seat, target.url, f"shows {leak} (found by {target.seat})")
        if (
            response.status_code == 200
            and target.route not in PUBLIC_BY_DESIGN
            and takes_an_id(target.url)
            and is_file(response)
        ):
            findings.add(seat, target.url, "downloads the other centre's file")


# ---------------------------------------------------------------- the probe


@pytest.fixture
def both_centres(settings, tmp_path, catalogue: None) -> None:
    """Both demo centres, built as `manage.py seed_demo --second-centre` builds them, with
    their files in a throwaway folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.DEBUG = True  # the command refuses to run without it
    call_command("seed_demo", "--second-centre", stdout=StringIO())
    # Pages are then served as in production (and no query log grows with every request).
    settings.DEBUG = False


def test_no_role_at_either_centre_reads_the_other_centres_people(both_centres: None) -> None:
    started = time.monotonic()
    findings = Findings()
    report = []
    for home, away in ((NORTHGATE, SOUTHFIELD), (SOUTHFIELD, NORTHGATE)):
        home_seats, away_seats = seats(home), seats(away)
        # Five staff (the assessor-IV in two roles), the employer contact (issue 19), 17 learners.
        assert len(home_seats) == 5 + 1 + 1 + 17, home.name
        markers, foreign = private_markers(home), private_markers(away)
        crawl_started = time.monotonic()
        pages = [page for seat in home_seats for page in crawl(seat, foreign, findings)]
        crawled_in = time.monotonic() - crawl_started
        reached = {page.route for page in pages if page.status == 200}
        missing = {kind for kind, route in MAIN_KINDS.items() if route not in reached}
        assert not missing, f"{home.name}'s own roles never reached: {sorted(missing)}"

        sampled = sample(pages)
        before, cross_started = findings.requests, time.monotonic()
        for seat, targets in targets_for(away_seats, sampled):
            cross(targets, seat, markers, findings)
        report.append(
            f"{home.name}: {len(pages)} pages crawled by {len(home_seats)} roles "
            f"({len(reached)} routes, {crawled_in:.0f} s); {sum(map(len, sampled.values()))} "
            f"of its URLs tried by the {len(away_seats)} roles of {away.name} "
            f"({findings.requests - before} requests, {time.monotonic() - cross_started:.0f} s)"
        )
    for demo in (NORTHGATE, SOUTHFIELD):
        check_the_verify_pages(demo)
    summary = "\n".join(
        [
            *report,
            f"{findings.requests} requests in {time.monotonic() - started:.0f} s; "
            f"the costliest routes: {findings.slowest()}",
        ]
    )
    print(summary)
    assert not findings.problems, summary + "\n" + "\n".join(findings.problems[:60])


def check_the_verify_pages(demo: DemoCentre) -> None:
    """The public page of each of the centre's records, as anyone sees it: a learner's names
    the learner (and nothing else of the centre), a claim summary's names the centre alone."""
    from assessments.models.achievement import AchievementRecord

    markers = private_markers(demo)
    records = AchievementRecord.objects.filter(centre__number=demo.number) | (
        AchievementRecord.objects.filter(registration__centre__number=demo.number)
    )
    assert records.count() == 2, demo.name  # a learner's record, a claim summary
    anyone = Client()
    for record in records.select_related("registration__learner"):
        response = anyone.get(record.verify_path)
        assert response.status_code == 200
        shown = find_markers(read_body(response).decode(), markers)
        if record.registration_id:
            assert shown == {record.registration.learner.full_name}, shown
        else:
            assert shown == {demo.name}, shown
        assert leaks(response, markers, route="verify", body=response.content) == []


# ---------------------------------------------------------------- planted leaks


MARKERS = {"Helen Carter": "staff name", "Liam O'Connor": "learner name", "4820000000": "ULN"}


def test_the_checker_finds_a_marker_on_a_page_even_when_escaped() -> None:
    page = HttpResponse("<p>Liam O&#x27;Connor</p><p>Helen\n    Carter</p>")
    assert leaks(page, MARKERS) == ["Helen Carter (staff name)", "Liam O'Connor (learner name)"]
    assert leaks(HttpResponse("<p>Nobody here</p>"), MARKERS) == []
    assert leaks(HttpResponse("Helen Carter", status=404), MARKERS) == []


def test_the_checker_reads_streamed_downloads_and_what_a_zip_holds() -> None:
    csv = StreamingHttpResponse(iter([b"name,uln\n", b"Someone,4820000000\n"]))
    csv["Content-Type"] = "text/csv"
    assert leaks(csv, MARKERS) == ["4820000000 (ULN)"]

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("manifest.json", '{"assessor": "Helen Carter"}')
        z.writestr("evidence/photo.png", b"\x89PNG not text")
    download = HttpResponse(archive.getvalue(), content_type="application/zip")
    download["Content-Disposition"] = 'attachment; filename="portfolio.zip"'
    assert leaks(download, MARKERS) == ["Helen Carter (staff name)"]
    assert is_file(download)


def test_the_checker_reads_text_in_a_pdf() -> None:
    from demo.common import tiny_pdf

    pdf = HttpResponse(tiny_pdf("Job sheet - Liam O'Connor"), content_type="application/pdf")
    assert leaks(pdf, MARKERS) == ["Liam O'Connor (learner name)"]


def test_the_crawl_follows_links_images_and_htmx_on_this_site_only() -> None:
    page = (
        '<a class="x" href="/a/?b=1&amp;c=2#top">x</a><img src="/portfolio/files/3/">'
        '<div hx-get="/assessment/achievement/4/status/" hx-trigger="every 2s"></div>'
        '<a href="mailto:a@b.example">m</a><a href="/static/x.css">s</a>'
        '<a href="/catalogue/qualifications/">c</a><a href="https://elsewhere.example/">e</a>'
        '<a href="../up/">u</a>'
    )
    found = [url for url in links_in(page, "/here/now/") if url]
    assert found == [
        "/a/?b=1&c=2",
        "/portfolio/files/3/",
        "/assessment/achievement/4/status/",
        "/here/up/",
    ]


def test_the_checker_lets_a_public_route_show_only_what_it_may() -> None:
    page = HttpResponse("<dd>Liam O&#x27;Connor</dd><dd>4820000000</dd>")
    assert leaks(page, MARKERS, route="verify") == ["4820000000 (ULN)"]


def _two_centres() -> tuple[Seat, Seat, dict[str, str]]:
    """A learner registered at a centre whose admin crawls, and another centre's admin."""
    from tests.factories import CentreFactory, RegistrationFactory, member

    here, there = CentreFactory(), CentreFactory()
    learner = member(here, "learner", full_name="Planted Learnername")
    RegistrationFactory(learner=learner, centre=here)
    admin_here = member(here, Role.CENTRE_ADMIN)
    admin_there = member(there, Role.CENTRE_ADMIN)
    seat_here = Seat(admin_here, Membership.objects.get(user=admin_here))
    seat_there = Seat(admin_there, Membership.objects.get(user=admin_there))
    return seat_here, seat_there, {learner.full_name: "learner name", learner.email: "e-mail"}


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("planted", [False, True])
def test_the_probe_fails_when_one_query_admits_every_centre(
    monkeypatch: pytest.MonkeyPatch, planted: bool
) -> None:
    from portfolios.models import RegistrationQuerySet

    seat_here, seat_there, markers = _two_centres()
    if planted:
        # The leak: registrations visible to everyone signed in, whatever their centre.
        monkeypatch.setattr(RegistrationQuerySet, "visible_to", lambda self, user: self.all())
    findings = Findings()
    pages = crawl(seat_here, {}, findings)
    assert "portfolios:registration" in {page.route for page in pages}

    targets = [page for group in sample(pages).values() for page in group]
    cross(targets, seat_there, markers, findings)

    flagged = [p for p in findings.problems if "Planted Learnername (learner name)" in p]
    if planted:
        assert any("/portfolio/registrations/" in p for p in flagged), findings.problems
    else:
        assert findings.problems == []
