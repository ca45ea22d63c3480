"""A Celery worker whose achievement-record builds stall: for the killed-worker test only.

    python -m tests.support.stalling_worker worker --pool=prefork ...

It is the project's own worker (config.celery_app, settings from the environment), except that
in this process rendering a record's PDF first says so on stderr and then sleeps, so a test can
kill the worker while the record is being built. Production code is never changed for tests.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

STALLING = "stalling-worker: rendering record"


def patch_rendering() -> None:
    from assessments import achievements

    render = achievements.render_achievement_pdf

    def stalling_render(record: Any, **kwargs: Any) -> bytes:
        # sys.__stderr__: Celery redirects sys.stdout/stderr of pool processes to its logger.
        sys.__stderr__.write(f"{STALLING} {record.pk}\n")
        sys.__stderr__.flush()
        time.sleep(60 * 60)  # until the test kills the worker
        return render(record, **kwargs)

    achievements.render_achievement_pdf = stalling_render


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    patch_rendering()
    # Imported after the patch; the prefork pool's processes are forked from this one, so
    # they inherit it.
    from config.celery_app import app

    app.worker_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
