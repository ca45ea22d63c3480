from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from accounts.models import User
from demo.centres import DEMO_ADMIN

pytestmark = pytest.mark.django_db


def test_it_creates_a_demo_admin_whose_printed_login_works(settings) -> None:
    settings.DEBUG = True
    out = StringIO()

    call_command("setup_demo", stdout=out)

    printed = out.getvalue()
    assert f"{DEMO_ADMIN.email}  /  {DEMO_ADMIN.password}" in printed
    admin = authenticate(
        request=RequestFactory().post("/accounts/login/"),
        username=DEMO_ADMIN.email,
        password=DEMO_ADMIN.password,
    )
    assert admin is not None
    assert admin.is_superuser
    assert admin.is_staff


def test_running_it_again_resets_the_password_and_adds_no_one(settings) -> None:
    settings.DEBUG = True
    call_command("setup_demo", stdout=StringIO())
    User.objects.filter(email=DEMO_ADMIN.email).update(password="!")

    call_command("setup_demo", stdout=StringIO())

    assert User.objects.count() == 1
    assert (
        authenticate(
            request=RequestFactory().post("/accounts/login/"),
            username=DEMO_ADMIN.email,
            password=DEMO_ADMIN.password,
        )
        is not None
    )


def test_it_refuses_without_debug_unless_told(settings) -> None:
    settings.DEBUG = False

    with pytest.raises(CommandError, match="Refusing to create demo users"):
        call_command("setup_demo", stdout=StringIO())
    assert not User.objects.exists()

    call_command("setup_demo", "--allow-without-debug", stdout=StringIO())
    assert User.objects.filter(email=DEMO_ADMIN.email).exists()
