"""`make run`'s own commands on a fresh database: seed_demo --json prints nothing but JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings


def test_json_output_is_only_json_on_a_first_run_with_console_mail(tmp_path) -> None:
    # As `make run` does it, in a process of its own with a fresh database: the console e-mail
    # backend prints the demo's notices when its transaction commits, which a test's own
    # transaction would postpone past the command; so this runs the real commands.
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "SITE_URL", "EMAIL_"))
    }
    env = {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result

    manage("migrate", "--noinput")
    manage("load_catalogue")
    result = manage("seed_demo", "--json")

    logins = json.loads(result.stdout)
    assert "helen.carter@demo.example" in {login["email"] for login in logins}
    # The e-mails were still sent, to standard error, so this would notice them moving back.
    assert "Subject:" in result.stderr
