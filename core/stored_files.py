"""Stored files that no row names, swept (issue 20, "leave nothing behind").

Every file the project stores is saved first and its row written after (a FileField's save,
an import's files, a held ZIP): a process killed between the two leaves a file that no row
names and nothing will ever serve or delete. The code that stores files deletes what it stored
when its transaction fails, but a killed process runs no cleanup. This sweeps them.

Each app registers, in its AppConfig.ready, the storage prefixes it writes under and the
model field that names the files there (`register`); tests/core/test_stored_files.py checks
that every FileField of the project is registered. Files outside these prefixes (the audit
checkpoints, which no row names by design; the upload staging folder) are never looked at.

A file is deleted only when no row names it AND it is older than the grace period (by the
storage's modified time): an upload in flight, stored but its row not yet committed, is young
and is kept. The storage is listed before the rows are read, so a row that commits meanwhile
is seen. The rows are read once per registered field, never per file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.files.storage import Storage, default_storage
from django.db import models
from django.utils import timezone

logger = logging.getLogger(__name__)

GRACE = timedelta(hours=24)


@dataclass(frozen=True)
class StoredFiles:
    """Files under `prefix` in the default storage, each named by `model.<field>`."""

    prefix: str
    model: type[models.Model]
    field: str

    def names(self) -> set[str]:
        """Every name under the prefix a row holds: one query, however many files."""
        rows = self.model._default_manager.filter(**{f"{self.field}__startswith": self.prefix})
        return set(rows.values_list(self.field, flat=True).iterator())


stored_file_sources: list[StoredFiles] = []


def register(*sources: StoredFiles) -> None:
    """Called from AppConfig.ready (more than once in tests: registered once)."""
    for source in sources:
        if source not in stored_file_sources:
            stored_file_sources.append(source)


@dataclass
class Swept:
    """What a sweep found: files named by a row (kept), without a row but younger than the
    grace period (kept: perhaps in flight), and without a row and older (deleted)."""

    named: int = 0
    young: int = 0
    deleted: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"named": self.named, "young": self.young, "deleted": len(self.deleted)}


def _walk(storage: Storage, folder: str) -> Iterator[tuple[str, datetime]]:
    """Any storage: its folders listed one by one (the filesystem's are cheap to list)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        path = f"{folder.rstrip('/')}/{name}"
        yield path, storage.get_modified_time(path)
    for sub in folders:
        yield from _walk(storage, f"{folder.rstrip('/')}/{sub}")


def _listing(storage: Storage, prefix: str) -> Iterator[tuple[str, datetime]]:
    """(name, modified) of every file under `prefix`. On S3 (django-storages) one paged
    listing of the keys, which carries each key's time: no request per folder or file."""
    bucket: Any = getattr(storage, "bucket", None)
    if bucket is None:
        yield from _walk(storage, prefix)
        return
    location = str(getattr(storage, "location", "") or "").strip("/")
    root = f"{location}/" if location else ""
    for item in bucket.objects.filter(Prefix=f"{root}{prefix}"):
        yield item.key[len(root) :], item.last_modified


def sweep_orphaned_files(
    *, grace: timedelta = GRACE, now: datetime | None = None, dry_run: bool = False
) -> Swept:
    """Delete the stored files under the registered prefixes that no row names and that are
    older than `grace`. With dry_run, only say which. One query per registered field."""
    now = now or timezone.now()
    swept = Swept()
    prefixes: dict[str, list[StoredFiles]] = {}
    for source in stored_file_sources:
        prefixes.setdefault(source.prefix, []).append(source)
    for prefix, sources in prefixes.items():
        listed = list(_listing(default_storage, prefix))
        if not listed:
            continue
        named = set().union(*(source.names() for source in sources))
        for name, modified in listed:
            if name in named:
                swept.named += 1
            elif modified > now - grace:
                swept.young += 1
            else:
                # No audit event: a file no row names belongs to no record (its row never
                # committed), so no record's history changes; the log line is its trace.
                if not dry_run:
                    default_storage.delete(name)
                swept.deleted.append(name)
                logger.info("Orphaned file %s%s", name, " (dry run)" if dry_run else " deleted")
    logger.info(
        "Swept stored files: %(named)s named by a row, %(young)s young, %(deleted)s orphaned",
        swept.counts(),
    )
    return swept
