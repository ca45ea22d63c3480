"""Reading a stored file in chunks, whole or one byte range, from whichever storage holds it.

On the filesystem storage the file is opened and read from the offset. django-storages' S3File
cannot do that: its first read downloads the whole object into a temporary file, so a browser
asking for the last megabyte of a 500 MB video would wait for all 500 MB, and the process would
hold them. For S3 the object is fetched with a ranged GetObject instead, and its body streamed
as it arrives: memory stays flat and a range costs what it is.

`open_chunks` opens the file (on S3, sends the GET) before it returns, so a missing file raises
FileNotFoundError while the view can still answer with a page, not halfway through a response.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
S3_MODULE = "storages.backends.s3"


def storage_name(file: FieldFile) -> str:
    """The storage name of a file field that holds a file. (Django types it optional: an empty
    field has none; every stored file here is required, so none is ever read empty.)"""
    if not file.name:
        raise ValueError(f"{file.instance!r} holds no file")
    return file.name


def file_object(file: File) -> IO[bytes]:
    """The open file an upload wraps. (Django types it optional: a File can be made empty.)"""
    if file.file is None:
        raise ValueError(f"{file.name!r} has no open file")
    return file.file


def is_object_storage(storage: Storage | None = None) -> bool:
    """Whether `storage` (the default storage when None) is django-storages' S3Storage."""
    # __class__ sets up the lazy default storage, which imports its backend's module. Without
    # importing boto3 into every process that never uses S3: if django-storages' S3 module is
    # not imported by then, no storage can be one of its classes.
    cls = (storage if storage is not None else default_storage).__class__
    module = sys.modules.get(S3_MODULE)
    return module is not None and issubclass(cls, module.S3Storage)


class StoredChunks:
    """The bytes of one read, as an iterator of chunks; `length` is how many it will give.
    close() releases the file or connection (StreamingHttpResponse calls it when done)."""

    def __init__(self, chunks: Iterator[bytes], length: int, closer: Any) -> None:
        self._chunks = chunks
        self.length = length
        self._closer = closer

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        self._closer.close()


def open_chunks(
    name: str,
    *,
    start: int = 0,
    length: int | None = None,
    chunk_size: int = CHUNK_BYTES,
    storage: Storage | None = None,
) -> StoredChunks:
    """`length` bytes of the stored file `name` from `start` (to its end when None).

    Raises FileNotFoundError now if the file is not in storage."""
    storage = storage if storage is not None else default_storage
    if is_object_storage(storage):
        return _s3_chunks(storage, name, start, length, chunk_size)
    fh = storage.open(name, "rb")
    if start:
        fh.seek(start)
    if length is None:
        length = max(fh.size - start, 0)
    return StoredChunks(_file_chunks(fh, length, chunk_size), length, fh)


def _file_chunks(fh: IO[bytes], length: int, chunk_size: int) -> Iterator[bytes]:
    # Whole chunks are read (the last one cut to the length): the same size every time.
    while length > 0:
        chunk = fh.read(chunk_size)
        if not chunk:
            break
        chunk = chunk[:length]
        length -= len(chunk)
        yield chunk


def _s3_chunks(
    storage: Any, name: str, start: int, length: int | None, chunk_size: int
) -> StoredChunks:
    from botocore.exceptions import ClientError
    from storages.utils import clean_name

    params: dict[str, str] = {}
    if length is not None:
        if length <= 0:
            # S3 has no empty range; nothing to fetch, but the object must still be there.
            if not storage.exists(name):
                raise FileNotFoundError(f"File does not exist: {name}")
            return StoredChunks(iter(()), 0, _Nothing())
        params["Range"] = f"bytes={start}-{start + length - 1}"
    elif start:
        params["Range"] = f"bytes={start}-"
    # The key as S3Storage itself makes it (its `location` prefix, normalised); one GET, no
    # HEAD first: the answer says whether the object is there.
    key = storage._normalize_name(clean_name(name))
    try:
        answer = storage.connection.meta.client.get_object(
            Bucket=storage.bucket_name, Key=key, **params
        )
    except ClientError as exc:
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            raise FileNotFoundError(f"File does not exist: {name}") from exc
        raise
    body = answer["Body"]
    return StoredChunks(body.iter_chunks(chunk_size), int(answer["ContentLength"]), body)


class _Nothing:
    def close(self) -> None:
        pass


def missing_file(request: HttpRequest, shown_name: str, stored_name: str) -> HttpResponse:
    """The page for a file whose record is here but whose bytes storage no longer has: a fault
    for the operators (logged), explained to the person instead of a server error."""
    logger.error("Stored file missing: %s (asked for at %s)", stored_name, request.path)
    response = render(request, "core/file_missing.html", {"name": shown_name}, status=404)
    patch_cache_control(response, private=True, no_store=True)
    return response
