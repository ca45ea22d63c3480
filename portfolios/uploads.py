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
never read it back: on the filesystem storage the temporary file is then moved (renamed) into
place, and the bytes are written once; object storage reads it once, to send it.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.uploadedfile import TemporaryUploadedFile
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
# Django's parser reads the body in the smallest chunk any handler asks for (64 KB by default);
# Larger chunks cost less Python per byte; 256 KB keeps the request under a few MB of memory.
CHUNK_BYTES = 256 * 1024
# Chunks waiting for the spooler thread; the parser waits when it runs this far ahead.
SPOOL_DEPTH = 2


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


class StreamedUpload(TemporaryUploadedFile):
    """A file as EvidenceUploadHandler received it: in its temporary file, with its SHA-256 and
    first bytes taken on the way in (set once the whole file has arrived)."""

    sha256: str | None = None
    head: bytes = b""


class Spooler:
    """Writes one file's chunks to its temporary file and hashes them, on a thread of its own.

    The multipart parser is Python and holds the GIL; writing and SHA-256 are C that release
    it, so on a thread beside the parser they take a second core instead of adding to its time.
    At most SPOOL_DEPTH chunks wait, so memory stays flat.
    """

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.digest = hashlib.sha256()
        self.error: BaseException | None = None
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=SPOOL_DEPTH)
        self._thread = threading.Thread(target=self._run, name="upload-spooler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self.error is not None:
                continue  # keep taking chunks so the parser never waits on a dead writer
            try:
                self.fh.write(chunk)
                self.digest.update(chunk)
            except BaseException as exc:  # raised again in the request's thread
                self.error = exc

    def put(self, chunk: bytes) -> None:
        if self.error is not None:
            raise self.error
        self._queue.put(chunk)

    def finish(self) -> str:
        """Wait for every chunk to be written; the file's SHA-256."""
        self.stop()
        if self.error is not None:
            raise self.error
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

    def __init__(self, request: HttpRequest | None = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.request_refusal: str | None = None
        self.received: list[Received] = []
        self.interrupted = False
        self._temporary: list[TemporaryUploadedFile] = []
        self._spooler: Spooler | None = None
        self._head = bytearray()

    def install(self, request: HttpRequest) -> None:
        """Take every file of `request` alone, before its body is read.

        Django's own handlers would never see a file (new_file stops them), but the parser
        reads in the smallest chunk any handler asks for, so they are left out altogether.
        """
        request.upload_handlers = [self]

    def handle_raw_input(
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
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )
        self._temporary.append(self.file)
        self._head = bytearray()
        if content_length is not None and content_length > self.limit:
            self._refuse()
        # The files are ours alone: Django's memory and disk handlers never see them.
        raise StopFutureHandlers

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if start + len(raw_data) > self.limit:
            self._refuse()
        if self._spooler is None:
            self._spooler = Spooler(self.file)
        # Written and hashed while the chunk is in memory, rather than read back from disk.
        self._spooler.put(raw_data)
        if len(self._head) < HEAD_BYTES:
            self._head += raw_data[: HEAD_BYTES - len(self._head)]

    def file_complete(self, file_size: int) -> TemporaryUploadedFile:
        self.received.append(Received(self.field_name, self.file_name or "file"))
        if self._spooler is None:  # an empty file: no chunk ever came
            self.file.sha256 = hashlib.sha256().hexdigest()
        else:
            self.file.sha256 = self._spooler.finish()
            self._spooler = None
        self.file.head = bytes(self._head)
        return super().file_complete(file_size)

    def upload_interrupted(self) -> None:
        # The body ended in the middle of a file: drop everything received.
        self.interrupted = True
        self.discard()

    def _refuse(self) -> None:
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
