"""Background work for accounts: the password reset e-mail."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth.forms import PasswordResetForm


@shared_task(name="accounts.send_password_reset")
def send_password_reset(*, email: str, domain: str, use_https: bool) -> None:
    """E-mail a reset link to the active account using `email`, if there is one.

    Django's own form finds the account (ignoring capitals, skipping unusable passwords) and
    renders templates/registration/password_reset_*; an unknown address sends nothing.
    """
    form = PasswordResetForm(data={"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)
