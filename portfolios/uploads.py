"""The upload handler for evidence files: streams to disk, refuses a file as soon as it is too big.

Installed for the upload view only (handler.install(request), before the body is
read). It takes every file itself, small or large, into a temporary file, so memory stays flat
and it alone decides what happens to the bytes:

- a request whose Content-Length already says it is over the limit is refused before anything is
  written (the body is read and thrown away, so the browser still receives the answer);
- a file that passes the limit while it streams in is dropped at once (its partial temporary file
  is deleted) and the other files of the request go on;
- whatever happens (a broken connection, a parse error, a refusal), discard() deletes every
  temporary file still on disk; the view calls it when the request ends.

Each file is hashed (SHA-256) and its first bytes kept as the chunks arrive, so the services
never read it back. On the filesystem storage the temporary file is made inside the storage's own
folder (in STAGING, beside the files it joins), so moving it into place is a rename on the same
filesystem whatever FILE_UPLOAD_TEMP_DIR or TMPDIR say: the bytes touch the disk once. It is made
durable as it streams (writeback started every few MB, fdatasync at the end) because a stored
file must survive a crash as the database row pointing at it does. Object storage (S3) reads the
temporary file once, to send it; there the file stays in Django's temporary folder, unsynced.
"""

from __future__ import annotations

import hashlib
import os
import queue
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import (
    FileUploadHandler,
    SkipFile,
    StopFutureHandlers,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict

# Room for the multipart boundaries, part headers and the CSRF field around the files' bytes.
MULTIPART_ALLOWANCE = 64 * 1024
DRAIN_CHUNK = 256 * 1024
# How much of a file's start the type sniffer reads (filetype needs at most 8 KB).
HEAD_BYTES = 8192
# Django's parser reads the body in the smallest chunk any handler asks for (64 KB by default).
# Larger chunks cost less Python per byte: 1 MB matches gunicorn's largest read from the socket
# (SocketUnreader.max_body_chunk), so its buffers hand chunks over with the fewest copies, and a
# request still holds only a few MB (a chunk being parsed, one queued, one being written).
CHUNK_BYTES = 1024 * 1024
# The folder, inside the filesystem storage's location, where uploads stream before the rename.
STAGING = ".incoming"
# Every this many bytes the kernel is asked to start writing the file out, so the final
# fdatasync waits for the last few MB rather than the whole file.
WRITEBACK_BYTES = 8 * 1024 * 1024


def megabytes(size: int) -> str:
    places = 1 if size < 10 * 1_048_576 else 0
    return f"{size / 1_048_576:,.{places}f} MB"


def request_too_big_message(size: int, limit: int) -> str:
    return (
        f"The upload is {megabytes(size)}, over the limit of {megabytes(limit)} for a file (and "
        "for the files sent together), so nothing was saved. Send fewer or smaller files."
    )


def file_too_big_message(name: str, limit: int) -> str:
    return f"{name} is larger than {megabytes(limit)}, the most a file may be. It was not saved."


def staging_dir() -> str | None:
    """Where an upload's temporary file goes: inside the filesystem storage's location (so it is
    moved into place by a rename), or Django's FILE_UPLOAD_TEMP_DIR for any other storage."""
    if isinstance(default_storage, FileSystemStorage):
        folder = Path(default_storage.location) / STAGING
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)
    return settings.FILE_UPLOAD_TEMP_DIR


class StreamedUpload(TemporaryUploadedFile):
    """A file as EvidenceUploadHandler received it: in its temporary file, with its SHA-256 and
    first bytes taken on the way in (set once the whole file has arrived)."""

    sha256: str | None = None
    head: bytes = b""

    def __init__(
        self,
        name: str,
        content_type: str,
        size: int,
        charset: str | None,
        content_type_extra: dict[str, Any] | None = None,
        *,
        folder: str | None = None,
    ) -> None:
        # TemporaryUploadedFile, but in `folder`: the temporary file is deleted when closed,
        # unless the storage has moved it into place first.
        file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed by discard())
            suffix=".upload" + os.path.splitext(name)[1], dir=folder
        )
        super(TemporaryUploadedFile, self).__init__(
            file, name, content_type, size, charset, content_type_extra
        )


class Spooler:
    """Writes one file's chunks to its temporary file and hashes them, on a thread of its own.

    The multipart parser is Python and holds the GIL; writing and SHA-256 are C that release
    it, so on a thread beside the parser they take a second core instead of adding to its time.
    One chunk is written while the parser reads the next, never more, so memory stays flat.
    """

    def __init__(self, fh: IO[bytes], *, durable: bool) -> None:
        self.fh = fh
        self.durable = durable
        self.written = 0
        self.flushed = 0  # bytes already handed to the kernel's writeback
        self.digest = hashlib.sha256()
        self.error: BaseException | None = None
        # Unbounded, but put() waits until the chunk before is written: one in hand at a time.
        self._queue: queue.Queue[bytes | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="upload-spooler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            chunk = self._queue.get()
            if chunk is None:
                self._queue.task_done()
                return
            try:
                # After an error keep taking chunks, so the parser never waits on a dead writer.
                if self.error is None:
                    self._write(chunk)
            except BaseException as exc:  # raised again in the request's thread
                self.error = exc
            finally:
                del chunk  # not held while waiting for the next one
                self._queue.task_done()

    def _write(self, chunk: bytes) -> None:
        self.fh.write(chunk)
        self.digest.update(chunk)
        self.written += len(chunk)
        if self.durable and self.written - self.flushed >= WRITEBACK_BYTES:
            self._start_writeback()

    def _start_writeback(self) -> None:
        # On Linux, DONTNEED on dirty pages starts their writeback without waiting for it (and
        # drops them from the cache once clean: nobody reads an upload back soon). Without it
        # the kernel holds a 1 GB file in memory until the fdatasync, which then waits for all
        # of it, after the upload, instead of beside it.
        self.fh.flush()
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(
                self.fh.fileno(), self.flushed, self.written - self.flushed, os.POSIX_FADV_DONTNEED
            )
        self.flushed = self.written

    def put(self, chunk: bytes) -> None:
        self._queue.join()
        if self.error is not None:
            raise self.error
        self._queue.put(chunk)

    def finish(self) -> str:
        """Wait for every chunk to be written (and on disk, if durable); the file's SHA-256."""
        self.stop()
        if self.error is not None:
            raise self.error
        if self.durable:
            self.fh.flush()
            os.fdatasync(self.fh.fileno())
        return self.digest.hexdigest()

    def stop(self) -> None:
        """Let the chunks already handed over be written, then end the thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


@dataclass(frozen=True)
class Received:
    """One file part of the request, in the order sent; `refusal` when it was dropped."""

    field: str
    name: str
    refusal: str | None = None


class EvidenceUploadHandler(TemporaryFileUploadHandler):
    chunk_size = CHUNK_BYTES
    # The part being received (new_file makes it).
    file: StreamedUpload

    def __init__(self, request: HttpRequest | None = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.request_refusal: str | None = None
        self.received: list[Received] = []
        self.interrupted = False
        self._temporary: list[TemporaryUploadedFile] = []
        self._spooler: Spooler | None = None
        self._head = bytearray()
        self._folder: str | None = None
        self._in_storage = False
        self._refused_last = False

    def install(self, request: HttpRequest) -> None:
        """Take every file of `request` alone, before its body is read.

        Django's own handlers would never see a file (new_file stops them), but the parser
        reads in the smallest chunk any handler asks for, so they are left out altogether.
        """
        request.upload_handlers = [self]
        self._in_storage = isinstance(default_storage, FileSystemStorage)
        self._folder = staging_dir()

    def handle_raw_input(  # type: ignore[override]  # django-stubs say the boundary is a str;
        # MultiPartParser passes the bytes it encoded.
        self,
        input_data: IO[bytes],
        META: dict[str, Any],
        content_length: int,
        boundary: bytes,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict] | None:
        if content_length > self.limit + MULTIPART_ALLOWANCE:
            self.request_refusal = request_too_big_message(content_length, self.limit)
            drain(input_data)
            # An empty form: the view answers with the refusal, nothing was written.
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def new_file(
        self,
        field_name: str,
        file_name: str,
        content_type: str,
        content_length: int | None,
        charset: str | None = None,
        content_type_extra: dict[str, Any] | None = None,
    ) -> None:
        # Always replace self.file first: on SkipFile Django closes (and so deletes) self.file,
        # which must be this part's file, never the previous, completed one.
        FileUploadHandler.new_file(
            self, field_name, file_name, content_type, content_length, charset, content_type_extra
        )
        self.file = StreamedUpload(
            file_name,
            content_type,
            0,
            self.charset,
            self.content_type_extra,
            folder=self._folder,
        )
        self._temporary.append(self.file)
        self._head = bytearray()
        self._refused_last = False
        if content_length is not None and content_length > self.limit:
            self._refuse()
        # The files are ours alone: Django's memory and disk handlers never see them.
        raise StopFutureHandlers

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if start + len(raw_data) > self.limit:
            self._refuse()
        if self._spooler is None:
            # Durable only where the file is moved into place as it is (the filesystem storage).
            self._spooler = Spooler(self.file, durable=self._in_storage)
        # Written and hashed while the chunk is in memory, rather than read back from disk.
        self._spooler.put(raw_data)
        if len(self._head) < HEAD_BYTES:
            self._head += raw_data[: HEAD_BYTES - len(self._head)]

    def file_complete(self, file_size: int) -> UploadedFile | None:
        self.received.append(Received(self.field_name, self.file_name or "file"))
        if self._spooler is None:  # an empty file: no chunk ever came
            self.file.sha256 = hashlib.sha256().hexdigest()
        else:
            self.file.sha256 = self._spooler.finish()
            self._spooler = None
        self.file.head = bytes(self._head)
        return super().file_complete(file_size)

    def upload_interrupted(self) -> None:
        # Django calls this when the last file part never completed. That is also the case when
        # it was refused for its size (SkipFile) and the body then ended as it should: the other
        # files, complete, are kept and the refusal said.
        if self._refused_last:
            return
        # The body ended in the middle of a file: drop everything received.
        self.interrupted = True
        self.discard()

    def _refuse(self) -> None:
        self._refused_last = True
        name = self.file_name or "file"
        self.received.append(
            Received(self.field_name, name, file_too_big_message(name, self.limit))
        )
        self._stop_spooler()
        # Django closes this part's temporary file (deleting it) and skips its remaining bytes.
        raise SkipFile

    def _stop_spooler(self) -> None:
        # No write may land in a temporary file after it is closed (and so deleted).
        if self._spooler is not None:
            self._spooler.stop()
            self._spooler = None

    def discard(self) -> None:
        """Delete every temporary file of this request that is still on disk."""
        self._stop_spooler()
        for upload in self._temporary:
            # Closing a NamedTemporaryFile deletes it; one already moved to storage is gone.
            upload.close()
        self._temporary.clear()


def drain(stream: IO[bytes]) -> None:
    """Read a request body to its end without keeping or writing any of it."""
    while stream.read(DRAIN_CHUNK):
        pass
