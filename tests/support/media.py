"""Media storage of a test's own: files stored (and Django's temporary upload files) under the
test's tmp_path, so a test can list what an upload left behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def private_media(settings: Any, tmp_path: Path) -> Path:
    """Point the default storage at tmp_path/media and uploads' temporary files at
    tmp_path/uploads; returns tmp_path (what `stored_files` reads)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    (tmp_path / "uploads").mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    return tmp_path


def stored_files(tmp_path: Path) -> list[Path]:
    """Every file in the test's media storage."""
    return [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
