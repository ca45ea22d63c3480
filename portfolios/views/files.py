"""Evidence files in and out: the upload endpoint and the permission-checked download.

There is no public media URL: every byte a browser gets comes through `download`, which first
checks that the file's evidence is visible to the person asking.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import rules
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFilesSent
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
    UnreadablePostError,
)
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404, redirect
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from accounts.requests import AuthedRequest
from core.storage import is_object_storage, missing_file, open_chunks, storage_name
from portfolios.evidence import EvidenceError, file_add, max_upload_bytes
from portfolios.models import Evidence, EvidenceFile
from portfolios.uploads import EvidenceUploadHandler

# ---------------------------------------------------------------- upload


@dataclass(frozen=True)
class FileResult:
    name: str
    ok: bool
    message: str


FIELD = "files"
INTERRUPTED = (
    "The upload was interrupted before it finished, so nothing was saved. Try again when the "
    "connection is steady."
)


@csrf_exempt
@require_POST
@login_required
def upload(request: AuthedRequest, pk: int) -> HttpResponse:
    """Add files to a draft. CSRF is checked in _upload: the handler must come before the body."""
    evidence = get_object_or_404(
        Evidence.objects.visible_to(request.user).select_related("registration"), pk=pk
    )
    # Only superusers see another person's draft; even they may not change it.
    if not rules.test_rule("portfolios.change_evidence", request.user, evidence):
        raise PermissionDenied
    handler = EvidenceUploadHandler(request, limit=max_upload_bytes())
    handler.install(request)
    try:
        try:
            uploads = request.FILES.getlist(FIELD)
        except (UnreadablePostError, MultiPartParserError):
            return _answer(request, evidence, [FileResult("", False, INTERRUPTED)], status=400)
        except TooManyFilesSent:
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
            message = f"Upload at most {limit} files at a time. Nothing was saved."
            return _answer(request, evidence, [FileResult("", False, message)], status=400)
        except RequestDataTooBig:
            message = "The form sent more than files and a few fields. Nothing was saved."
            return _answer(request, evidence, [FileResult("", False, message)], status=400)
        if handler.interrupted:
            return _answer(request, evidence, [FileResult("", False, INTERRUPTED)], status=400)
        if handler.request_refusal:
            refused = [FileResult("", False, handler.request_refusal)]
            return _answer(request, evidence, refused, status=413)
        return _upload(request, evidence, handler, uploads)
    finally:
        handler.discard()


@csrf_protect
def _upload(
    request: AuthedRequest,
    evidence: Evidence,
    handler: EvidenceUploadHandler,
    uploads: list[UploadedFile],
) -> HttpResponse:
    user = request.user
    pending = iter(uploads)
    results: list[FileResult] = []
    for received in handler.received:
        if received.field != FIELD:
            continue
        if received.refusal:
            results.append(FileResult(received.name, False, received.refusal))
            continue
        upload_file = next(pending)
        name = upload_file.name or "file"
        try:
            added = file_add(actor=user, evidence=evidence, upload=upload_file)
        except EvidenceError as error:
            results.append(FileResult(name, False, _naming(name, str(error))))
            continue
        message = f"{name} added."
        if added.duplicate_of is not None:
            message += (
                " The same file is already in your portfolio as "
                f"“{added.duplicate_of.evidence.title}”."
            )
        results.append(FileResult(name, True, message))
    if not results:
        results.append(FileResult("", False, "Choose at least one file to upload."))
    return _answer(request, evidence, results, status=200)


def _naming(name: str, message: str) -> str:
    return message if name in message else f"{name}: {message}"


def _wants_json(request: AuthedRequest) -> bool:
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _answer(
    request: AuthedRequest, evidence: Evidence, results: list[FileResult], *, status: int
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"files": [asdict(result) for result in results]}, status=status)
    for result in results:
        if not result.ok:
            messages.error(request, result.message)
        elif "already in your portfolio" in result.message:
            messages.warning(request, result.message)
        else:
            messages.success(request, result.message)
    return redirect("evidence:detail", pk=evidence.pk)


# ---------------------------------------------------------------- download

# Opened in the browser: plain raster images, audio and video, which a browser only ever draws or
# plays. Everything else (PDFs, office documents, text, and SVG, HTML or XML should one ever be
# stored) downloads as an attachment: those formats can carry script or links that would run
# with the site's origin, or, for PDFs, inside the browser's viewer, which a sandbox cannot hold.
INLINE_IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic"})
INLINE_PREFIXES = ("audio/", "video/")
# On every file response, inline or not: a file opened anyway runs in an opaque origin with no
# script, and may load nothing but our own images and media.
FILE_POLICY = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'"
STREAM_CHUNK = 64 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single-range request, or None to send the whole file.

    Several ranges, or a header we do not understand, get the whole file (RFC 9110 allows it);
    a range wholly past the end raises RangeNotSatisfiable.
    """
    if not header:
        return None
    match = RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        # "bytes=-500": the last 500 bytes.
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiable
        return max(size - suffix, 0), size - 1
    start = int(first)
    if last and int(last) < start:
        return None
    end = int(last) if last else size - 1
    if start >= size:
        raise RangeNotSatisfiable
    return start, min(end, size - 1)


def _is_inline(content_type: str) -> bool:
    return content_type in INLINE_IMAGES or content_type.startswith(INLINE_PREFIXES)


@require_GET
@login_required
def download(request: AuthedRequest, pk: int) -> HttpResponseBase:
    evidence_file = get_object_or_404(
        EvidenceFile.objects.filter(evidence__in=Evidence.objects.visible_to(request.user)),
        pk=pk,
    )
    if evidence_file.removed_at is not None:
        # Past retention only the record stays (certification.retention): say so, not 404.
        return HttpResponse(
            f"{evidence_file.original_name} was removed after the awarding body's retention "
            f"period on {evidence_file.removed_at:%d %B %Y}; its SHA-256 "
            f"({evidence_file.sha256}) stays on the record.",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    try:
        return file_response(
            evidence_file,
            range_header=request.headers.get("Range"),
            if_range=request.headers.get("If-Range"),
            attachment=request.GET.get("download") == "1",
        )
    except FileNotFoundError:
        return missing_file(request, evidence_file.original_name, storage_name(evidence_file.file))


def file_response(
    evidence_file: EvidenceFile,
    *,
    range_header: str | None = None,
    if_range: str | None = None,
    attachment: bool = False,
) -> HttpResponseBase:
    """Stream a stored file, whole or one byte range, with headers that keep it harmless.
    Raises FileNotFoundError, before any byte is sent, if storage has lost the file."""
    size = evidence_file.size
    etag = f'"{evidence_file.sha256}"'
    if if_range is not None and if_range != etag:
        range_header = None  # the browser holds other bytes: send the whole file
    try:
        byte_range = parse_range(range_header, size)
    except RangeNotSatisfiable:
        response: HttpResponseBase = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return _harden(response)
    name = storage_name(evidence_file.file)
    if byte_range is None and not is_object_storage():
        # A file on disk: FileResponse lets the server send it with sendfile where it can.
        response = FileResponse(default_storage.open(name, "rb"))
        response["Content-Length"] = str(size)
    elif byte_range is None:
        # Object storage, whole: streamed as it arrives from S3, never held whole.
        chunks = open_chunks(name, chunk_size=STREAM_CHUNK)
        response = StreamingHttpResponse(chunks)
        response["Content-Length"] = str(size)
    else:
        # Only the range is read, from disk or (a ranged GET) from S3.
        start, end = byte_range
        length = end - start + 1
        chunks = open_chunks(name, start=start, length=length, chunk_size=STREAM_CHUNK)
        response = StreamingHttpResponse(chunks, status=206)
        response["Content-Length"] = str(length)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    content_type = evidence_file.content_type
    inline = not attachment and _is_inline(content_type)
    response["Content-Type"] = (
        f"{content_type}; charset=utf-8" if content_type.startswith("text/") else content_type
    )
    disposition = content_disposition_header(not inline, evidence_file.original_name)
    if disposition:  # None only for a file with no name, shown inline
        response["Content-Disposition"] = disposition
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    return _harden(response)


def _harden(response: HttpResponseBase) -> HttpResponseBase:
    # nosniff: the type sniffed at upload is the only one a browser may read the bytes as.
    response["X-Content-Type-Options"] = "nosniff"
    # Set here, so the site-wide CSP middleware leaves it in place of the pages' policy.
    response["Content-Security-Policy"] = FILE_POLICY
    patch_cache_control(response, private=True)
    return response
