"""Issue 18: every page asked for a /favicon.ico that was not there (a 404 in every log)."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_favicon_ico_redirects_to_the_static_icon(client: Client) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"
    assert "max-age=86400" in response["Cache-Control"]


def test_the_icon_is_served_as_svg(live_server: Any) -> None:
    """Through whitenoise, as the browser fetches it (the test client does not serve static)."""
    url = f"{live_server.url}/favicon.ico"
    # The live server's own http:// address; urlopen follows the redirect.
    with urllib.request.urlopen(url) as answer:  # noqa: S310
        body = answer.read()
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("image/svg+xml")
    assert body.startswith(b"<svg")
    assert b"<script" not in body


def test_every_page_links_the_icon(client: Client) -> None:
    page = client.get("/accounts/login/").content.decode()

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
