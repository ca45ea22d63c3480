"""Every page is served under the strict Content-Security-Policy, and nothing in it needs more.

The demo centre holds work in every state, so signing in as each of its roles and following
every link on the site (one page per URL pattern) reaches each kind of page the project serves.
Each page must carry the policy, and its HTML must hold nothing the policy would refuse: no
inline <script> or <style>, no style="" attribute, no on*= handler and no htmx hx-on.
"""

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import Client
from django.urls import Resolver404, resolve

from accounts.models import User
from portfolios.models import WitnessRequest
from portfolios.witness import token_hash

pytestmark = pytest.mark.usefixtures("catalogue")

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
# One login per role (the demo's), and the superuser.
LOGINS = [
    "admin@demo.example",
    "helen.carter@demo.example",  # centre admin
    "marcus.reid@demo.example",  # assessor and internal verifier (as assessor first)
    "aisha.khan@demo.example",  # assessor
    "dorothy.evans@demo.example",  # internal verifier
    "graham.lowe@demo.example",  # EQA
    "sarah.quinn@harbourhotels.demo.example",  # employer contact (issue 19)
    "jamal.okafor@learner.demo.example",  # learner at work
    "grace.mitchell@learner.demo.example",  # learner who has finished
]
# Not followed: what changes state on GET (none should, but signing out ends the crawl), file
# downloads (they carry their own sandbox policy, tested in tests/portfolios), and Django's admin
# (its templates are Django's, for superusers only).
SKIP_PREFIXES = ("/admin/", "/portfolio/files/", "/accounts/logout/")
MAX_PAGES_PER_LOGIN = 150


def policy(header: str) -> dict[str, str]:
    directives = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {part[0]: part[1] for part in directives}


class InlineFinder(HTMLParser):
    """Collects what a strict policy refuses, and the page's same-site links."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.refused.append("<style> element")
        if tag == "script" and not names.get("src") and names.get("type") != "application/json":
            self.refused.append("inline <script>")
        for name, value in attrs:
            if name == "style":
                self.refused.append(f'style="{value}" on <{tag}>')
            elif name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self.refused.append(f"{name}= on <{tag}>")
            elif name in ("href", "src", "action") and (value or "").startswith("javascript:"):
                self.refused.append(f"{name}={value} on <{tag}>")
        if tag == "a" and names.get("href"):
            self.links.append(names["href"] or "")


def check(response: object, path: str) -> InlineFinder:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    assert policy(header) == STRICT, f"{path}: {header}"
    finder = InlineFinder()
    finder.feed(response.content.decode())  # type: ignore[attr-defined]
    assert not finder.refused, f"{path}: {finder.refused}"
    return finder


def route_of(path: str) -> str | None:
    try:
        return resolve(path).route
    except Resolver404:
        return None


def crawl(client: Client, start: list[str]) -> set[str]:
    """Visit one page per URL pattern reachable from `start`; return the routes checked."""
    seen_routes: set[str] = set()
    queue = deque(start)
    visited = 0
    while queue and visited < MAX_PAGES_PER_LOGIN:
        path = queue.popleft()
        route = route_of(urlsplit(path).path)
        if route is None or route in seen_routes:
            continue
        seen_routes.add(route)
        response = client.get(path)
        visited += 1
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        for link in check(response, path).links:
            target = urlsplit(urljoin(path, link))
            if target.netloc or not target.path.startswith("/"):
                continue
            if target.path.startswith(SKIP_PREFIXES) or "download" in target.query:
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return seen_routes


@pytest.fixture
def demo(settings, tmp_path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.DEBUG = True
    call_command("seed_demo", "--json", stdout=StringIO())
    settings.DEBUG = False


def test_every_kind_of_page_for_every_role_is_served_under_the_strict_policy(
    client: Client, demo: None
) -> None:
    routes: set[str] = set()
    for email in LOGINS:
        client.force_login(User.objects.get(email=email))
        routes |= crawl(client, ["/"])
        # The second role of a person with two: the other home page and its links.
        memberships = list(User.objects.get(email=email).memberships.values_list("pk", flat=True))
        for membership in memberships[1:]:
            client.post("/accounts/role/", {"membership": membership})
            routes |= crawl(client, ["/"])
        client.logout()

    # Signed out: sign-in, password reset, the public verify page, a witness's link.
    asked = WitnessRequest.objects.filter(testimony="").first()
    assert asked is not None
    WitnessRequest.objects.filter(pk=asked.pk).update(token_hash=token_hash("known-token"))
    public = ["/accounts/login/", "/accounts/password/reset/", "/verify/"]
    public.append("/portfolio/witness/respond/known-token/")
    routes |= crawl(client, public)

    # Enough of the site was reached for the check to mean something: pages of every app.
    for prefix in ("catalogue/", "centre/", "portfolio/", "assessment/", "verification/"):
        assert any(route.startswith(prefix) for route in routes), (prefix, sorted(routes))
    assert len(routes) >= 40, sorted(routes)


def test_the_error_pages_are_served_under_the_strict_policy(client: Client, user: User) -> None:
    client.force_login(user)
    not_found = client.get("/no-such-page/")
    assert not_found.status_code == 404
    check(not_found, "/no-such-page/")

    forbidden = client.get("/centre/people/")
    assert forbidden.status_code == 403
    check(forbidden, "/centre/people/")

    # 500.html is rendered by Django without a request context: check its markup alone.
    finder = InlineFinder()
    finder.feed(render_to_string("500.html"))
    assert not finder.refused
