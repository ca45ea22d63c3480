"""Single sign-on against a real OpenID provider (issue 20): the `oidc-provider` package that
.ci/run starts (tools/oidc-provider/server.js), its own sign-in page, its signed ID tokens.

Each test has a browser of its own, so the provider's session of one never signs in another.
The provider's pages are its own (not ours to check with axe); ours are checked as always.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.models import Centre, IdentityProvider, User
from tests.browser.conftest import AccessiblePage
from tests.browser.test_invitations import sign_in
from tests.factories import CentreFactory, invite, member
from tests.services import OidcProvider, oidc_provider, unavailable

BUTTON = "Sign in with Northfield College account"


@pytest.fixture
def provider(site: AccessiblePage) -> OidcProvider:
    return oidc_provider()


def _centre_with_provider(site: AccessiblePage, provider: OidcProvider) -> Centre:
    centre = CentreFactory(name="Northfield College")
    client_id, secret = provider.register_client(site.base_url)
    IdentityProvider.objects.create(
        centre=centre,
        name="Northfield College account",
        issuer=provider.issuer,
        client_id=client_id,
        client_secret=secret,
    )
    return centre


def _sign_in_at_provider(site: AccessiblePage, provider: OidcProvider, login: str) -> None:
    """From our sign-in page, through the button, to the provider's page, and back."""
    page = site.page
    site.goto("/accounts/login/")
    page.get_by_role("link", name=BUTTON).click()
    page.wait_for_url(f"{provider.issuer}/**")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password at all")
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{site.base_url}/**")
    site.assert_accessible()
    _forget_provider_pages(site, provider)


def _forget_provider_pages(site: AccessiblePage, provider: OidcProvider) -> None:
    site.visited = [url for url in site.visited if not url.startswith(provider.issuer)]


def test_an_invited_person_signs_in_with_the_centre_account_and_signs_out_of_both(
    site: AccessiblePage, provider: OidcProvider
) -> None:
    page = site.page
    centre = _centre_with_provider(site, provider)
    member(centre, "admin", email="helen.carter@demo.example", full_name="Helen Carter")

    site.goto("/accounts/login/")
    # The button sits beside the password form, which stays.
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_test_id("sso-providers").get_by_role("link")).to_have_text([BUTTON])

    _sign_in_at_provider(site, provider, "helen.carter@demo.example")
    expect(page).to_have_url(f"{site.base_url}/")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("Helen Carter")

    # Signing out here signs out at the provider too (it asks to confirm), then comes back.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{provider.issuer}/**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{site.base_url}/accounts/login/")
    site.assert_accessible()
    _forget_provider_pages(site, provider)

    # The provider's session is over: the button leads to its sign-in page again.
    page.get_by_role("link", name=BUTTON).click()
    page.wait_for_url(f"{provider.issuer}/**")
    expect(page.locator("input[name=login]")).to_be_visible()
    _forget_provider_pages(site, provider)


def test_someone_the_centre_never_invited_is_turned_away(
    site: AccessiblePage, provider: OidcProvider
) -> None:
    centre = _centre_with_provider(site, provider)
    # Someone of another centre is a stranger here too.
    member(CentreFactory(name="Southfield"), "learner", email="stranger@elsewhere.example")
    users = User.objects.count()

    _sign_in_at_provider(site, provider, "stranger@elsewhere.example")
    expect(site.page).to_have_url(f"{site.base_url}/accounts/login/")
    expect(site.page.get_by_role("status")).to_contain_text(
        f"stranger@elsewhere.example is not someone {centre.name} has invited"
    )
    expect(site.page.get_by_test_id("signed-in-as")).to_have_count(0)
    assert User.objects.count() == users


def test_an_address_the_provider_has_not_verified_is_turned_away(
    site: AccessiblePage, provider: OidcProvider
) -> None:
    centre = _centre_with_provider(site, provider)
    # She has a role at the centre: only the unverified address stands in the way.
    member(centre, "learner", email="olivia.bennett@learner.demo.example")

    _sign_in_at_provider(site, provider, "olivia.bennett@learner.demo.example")
    expect(site.page).to_have_url(f"{site.base_url}/accounts/login/")
    expect(site.page.get_by_role("status")).to_contain_text(
        "Northfield College account has not verified your e-mail address"
    )
    expect(site.page.get_by_test_id("signed-in-as")).to_have_count(0)


def test_an_invitee_without_an_account_comes_in_and_the_invitation_is_accepted(
    site: AccessiblePage, provider: OidcProvider
) -> None:
    centre = _centre_with_provider(site, provider)
    invite(centre, "helen.carter@demo.example", "admin", full_name="Helen Carter")

    # The provider gives the address with capitals: the same person.
    _sign_in_at_provider(site, provider, "Helen.Carter@Demo.Example")
    expect(site.page).to_have_url(f"{site.base_url}/")
    expect(site.page.get_by_test_id("signed-in-as")).to_contain_text("Helen Carter")
    user = User.objects.get(email="helen.carter@demo.example")
    assert user.memberships.get().centre == centre
    assert user.has_usable_password()  # unknown to anyone: reset by e-mail to choose one


def test_the_admin_sets_up_the_provider_and_its_secret_is_never_shown_back(
    site: AccessiblePage, provider: OidcProvider
) -> None:
    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})
    centre = CentreFactory(name="Northfield College")
    admin = member(centre, "admin", full_name="Ada Admin")
    client_id, secret = provider.register_client(site.base_url)
    sign_in(site, admin.email)

    site.goto("/centre/people/")
    page.get_by_role("link", name="Single sign-on").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("no-identity-providers")).to_be_visible()
    expect(page.get_by_test_id("sso-addresses")).to_contain_text(
        f"{site.base_url}/accounts/sso/callback/"
    )
    page.get_by_role("link", name="Add a provider").click()
    page.wait_for_load_state("load")
    site.assert_accessible()

    # A plain-http issuer elsewhere is refused, and what was typed stays.
    page.get_by_label("Name on the sign-in button").fill("Northfield College account")
    page.get_by_label("Issuer").fill("http://login.example.com")
    page.get_by_label("Client ID").fill(client_id)
    page.get_by_label("Client secret").fill(secret)
    page.get_by_role("button", name="Add the provider").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("error-summary")).to_contain_text("must start with https://")
    expect(page.get_by_label("Client ID")).to_have_value(client_id)
    # The secret is never sent back, not even into its field.
    expect(page.get_by_label("Client secret")).to_have_value("")

    page.get_by_label("Issuer").fill(provider.issuer)
    page.get_by_label("Client secret").fill(secret)
    page.get_by_role("button", name="Add the provider").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_role("status")).to_contain_text("Northfield College account is saved")
    rows = page.get_by_test_id("identity-providers")
    expect(rows).to_contain_text(client_id)
    expect(rows).to_contain_text(f"ending …{secret[-4:]}")
    assert secret not in page.content()

    page.get_by_role("link", name="Northfield College account").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_label("Client secret")).to_have_value("")
    assert secret not in page.content()
    page.get_by_label("Offered on the sign-in page").uncheck()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("load")
    site.assert_accessible()
    expect(page.get_by_test_id("identity-providers")).to_contain_text("No, switched off")
    saved = IdentityProvider.objects.get()
    assert saved.client_secret == secret  # a blank field kept it
    assert not saved.enabled

    # Switched off, the sign-in page offers no button.
    page.context.clear_cookies()
    site.goto("/accounts/login/")
    expect(page.get_by_test_id("sso-providers")).to_have_count(0)


@pytest.fixture
def own_provider(site: AccessiblePage) -> Iterator[tuple[OidcProvider, subprocess.Popen[bytes]]]:
    """A provider of this test's own (the same server.js, on a free port), so that it can be
    stopped without stopping the suite's."""
    folder = Path(settings.BASE_DIR) / "tools" / "oidc-provider"
    node = shutil.which("node")
    if node is None or not (folder / "node_modules").is_dir():
        unavailable("Node.js with tools/oidc-provider's packages", "npm ci there installs them")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [str(node), "server.js"],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "OIDC_PROVIDER_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield OidcProvider(issuer), process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_provider_that_stops_after_its_settings_were_read_is_said_on_our_sign_in_page(
    site: AccessiblePage, own_provider: tuple[OidcProvider, subprocess.Popen[bytes]]
) -> None:
    from accounts.sso import _answered_key, endpoints

    provider, process = own_provider
    page = site.page
    _centre_with_provider(site, provider)
    # Up: the button leads to its sign-in page (its settings are now kept for an hour).
    site.goto("/accounts/login/")
    page.get_by_role("link", name=BUTTON).click()
    page.wait_for_url(f"{provider.issuer}/**")
    expect(page.locator("input[name=login]")).to_be_visible()
    _forget_provider_pages(site, provider)

    # It stops, and the minute its answer was trusted for passes.
    process.terminate()
    process.wait(timeout=10)
    found = endpoints(IdentityProvider.objects.get())  # still cached: no request
    cache.delete(_answered_key(found.jwks))

    site.goto("/accounts/login/")
    page.get_by_role("link", name=BUTTON).click()
    # Back on our own sign-in page with the reason, not the browser's error page.
    page.wait_for_url(f"{site.base_url}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text(
        "Northfield College's sign-in service (Northfield College account) is not answering "
        "just now, so you cannot sign in with it. Sign in with your password, or try again later."
    )
    expect(page.get_by_label("Password")).to_be_visible()
    site.assert_accessible()
