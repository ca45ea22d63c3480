"""The API's writes on one registration: evidence uploaded to the learner's own portfolio, and
the apprentice's off-the-job hours. Each binds the page's own form, asks the page's own rule
and calls the page's own service, so the checks, the messages and the audit events are the
page's; only the answer differs (JSON, 4xx with the message, nothing left behind)."""

from __future__ import annotations

from typing import Any

import rules
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFilesSent
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from ninja import Path, Router, Status
from ninja.errors import HttpError

from api.caller import Caller, calling
from api.idempotency import form_fingerprint, key_of, once
from api.registrations import readable
from api.schemas import MAX_ID, Error, EvidenceOut, OffTheJobIn, OffTheJobOut
from api.scopes import Scope
from core.storage import storage_name
from portfolios import evidence as evidence_services
from portfolios import off_the_job
from portfolios.forms.evidence import EvidenceForm
from portfolios.forms.off_the_job import ActivityForm
from portfolios.models import Evidence, EvidenceContext, EvidenceMethod, Registration
from portfolios.uploads import EvidenceUploadHandler
from portfolios.views.files import FIELD, INTERRUPTED

router = Router(tags=["writes"])
WRITE_ERRORS: dict[int, Any] = {
    401: Error,
    403: Error,
    404: Error,
    409: Error,
    413: Error,
    422: Error,
    429: Error,
}


def form_problems(form: Any) -> str:
    """A form's errors as one sentence per problem, naming the field as the API names it."""
    problems: list[str] = []
    for name, errors in form.errors.items():
        where = "body" if name == "__all__" else f"body.{name}"
        problems.extend(f"{where}: {error}" for error in errors)
    return "; ".join(problems)


def _registration_for(caller: Caller, registration_id: int, rule: str, refusal: str) -> Any:
    """The registration (404 when the token may not read it), if the caller passes the page's
    `rule` on it (else 403 with the page's words)."""
    registration = readable(caller, registration_id)
    if not rules.test_rule(rule, caller.user, registration):
        raise HttpError(403, refusal)
    return registration


# ---------------------------------------------------------------- evidence

# The multipart body, described by hand: the upload must be read by the page's own streaming
# handler (portfolios.uploads), installed before the body is read, so ninja is not given the
# files to parse.
EVIDENCE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["title", "evidence_date", "method", "context", FIELD],
                    "properties": {
                        "title": {"type": "string", "maxLength": 200},
                        "description": {"type": "string", "maxLength": 5000},
                        "evidence_date": {"type": "string", "format": "date"},
                        "method": {"type": "string", "enum": EvidenceMethod.values},
                        "context": {"type": "string", "enum": EvidenceContext.values},
                        FIELD: {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "One or more files: documents, images, audio or video.",
                        },
                    },
                }
            }
        },
    }
}


def _evidence_out(evidence: Evidence, added: list[Any]) -> dict[str, Any]:
    return {
        "id": evidence.pk,
        "registration_id": evidence.registration_id,
        "title": evidence.title,
        "status": evidence.status,
        "evidence_date": evidence.evidence_date,
        "method": evidence.method,
        "context": evidence.context,
        "files": [
            {
                "id": item.file.pk,
                "name": item.file.original_name,
                "content_type": item.file.content_type,
                "size": item.file.size,
                "sha256": item.file.sha256,
                "duplicate_of_evidence": item.duplicate_of.evidence_id
                if item.duplicate_of is not None
                else None,
            }
            for item in added
        ],
    }


def _upload(request: Any, caller: Caller, registration: Registration) -> tuple[int, Any]:
    handler = EvidenceUploadHandler(request, limit=evidence_services.max_upload_bytes())
    handler.install(request)
    try:
        try:
            data, uploads = request.POST, request.FILES.getlist(FIELD)
        except (UnreadablePostError, MultiPartParserError):
            raise HttpError(400, INTERRUPTED) from None
        except TooManyFilesSent:
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
            raise HttpError(
                413, f"Upload at most {limit} files at a time. Nothing was saved."
            ) from None
        except RequestDataTooBig:
            raise HttpError(
                413, "The form sent more than files and a few fields. Nothing was saved."
            ) from None
        if handler.interrupted:
            raise HttpError(400, INTERRUPTED)
        if handler.request_refusal:
            raise HttpError(413, handler.request_refusal)
        refused = [r.refusal for r in handler.received if r.field == FIELD and r.refusal]
        if refused:
            raise HttpError(413, " ".join(refused) + " Nothing was saved.")
        form = EvidenceForm(data)
        if not form.is_valid():
            raise HttpError(422, form_problems(form))
        if not uploads:
            raise HttpError(422, f"body.{FIELD}: Choose at least one file to upload.")
        # What was sent, by the hashes the handler took as the files streamed in: a retry with
        # the same key and other bytes is refused before anything is saved.
        sent = form_fingerprint(
            data,
            (
                (field, upload.name, evidence_services.upload_sha256(upload))
                for field, files in request.FILES.lists()
                for upload in files
            ),
        )
        return once(
            request,
            caller,
            lambda: _save(caller, registration, form.cleaned_data, uploads),
            sent=sent,
        )
    finally:
        handler.discard()


def _save(
    caller: Caller, registration: Registration, fields: dict[str, Any], uploads: list[Any]
) -> tuple[int, Any]:
    """The draft and its files, all or nothing: the page makes the draft, then adds each file
    (its own services, its own audit events); a file refused here undoes the lot and deletes
    the bytes already stored."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            evidence = evidence_services.evidence_create(
                actor=caller.user, registration=registration, **fields
            )
            added = []
            for upload in uploads:
                item = evidence_services.file_add(
                    actor=caller.user, evidence=evidence, upload=upload
                )
                stored.append(storage_name(item.file.file))
                added.append(item)
    except evidence_services.EvidenceError as error:
        for name in stored:
            default_storage.delete(name)
        raise HttpError(422, f"{error} Nothing was saved.") from None
    return 201, _evidence_out(evidence, added)


@router.post(
    "/{registration_id}/evidence",
    response={201: EvidenceOut, 400: Error, **WRITE_ERRORS},
    summary="Upload evidence (a draft with its files) to the learner's own portfolio",
    description="multipart/form-data, as the evidence pages send it: the draft's fields and "
    f"one or more '{FIELD}'. The files are checked as the upload page checks them (type, size); "
    "if any is refused, nothing is saved. The learner's own token only, as on the pages.",
    openapi_extra=EVIDENCE_BODY,
)
def evidence_upload(request: Any, registration_id: int = Path(..., ge=1, le=MAX_ID)) -> Status[Any]:
    caller = calling(request, Scope.EVIDENCE_WRITE)
    registration = _registration_for(
        caller,
        registration_id,
        "portfolios.add_evidence",
        "Only the learner adds evidence to their portfolio, while the registration is active.",
    )
    # A malformed key is refused before the body streams; the key is then checked against what
    # was sent once the files are in (the fingerprint needs their hashes).
    key_of(request)
    return Status(*_upload(request, caller, registration))


# ---------------------------------------------------------------- off-the-job hours


def _activity_out(activity: Any, statements: list[int]) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "registration_id": activity.registration_id,
        "date": activity.date,
        "hours": f"{activity.hours:.2f}",
        "kind": activity.kind,
        "description": activity.description,
        "status": activity.status,
        "statements": statements,
        "evidence": activity.evidence_id,
    }


def _log(caller: Caller, registration: Registration, entry: OffTheJobIn) -> tuple[int, Any]:
    # The log page's form, bound to what the page would post.
    data = QueryDict(mutable=True)
    data.update(
        {
            "date": entry.date.isoformat(),
            "hours": entry.hours,
            "kind": entry.kind,
            "description": entry.description,
            "evidence": "" if entry.evidence is None else str(entry.evidence),
        }
    )
    data.setlist("statements", [str(pk) for pk in entry.statements])
    form = ActivityForm(data, registration=registration)
    if not form.is_valid():
        raise HttpError(422, form_problems(form))
    try:
        activity = off_the_job.log(
            actor=caller.user, registration=registration, **form.cleaned_data
        )
    except off_the_job.OffTheJobError as error:
        raise HttpError(422, str(error)) from None
    except PermissionDenied as refusal:
        raise HttpError(403, str(refusal)) from None
    chosen = sorted(statement.pk for statement in form.cleaned_data["statements"])
    return 201, _activity_out(activity, chosen)


@router.post(
    "/{registration_id}/off-the-job",
    response={201: OffTheJobOut, **WRITE_ERRORS},
    summary="Log off-the-job training hours on the apprentice's own registration",
    description="As the off-the-job log page: the apprentice's own token only; the entry waits "
    "for their assessor's review.",
)
def off_the_job_log(
    request: Any,
    entry: OffTheJobIn,
    registration_id: int = Path(..., ge=1, le=MAX_ID),
) -> Status[Any]:
    caller = calling(request, Scope.OFF_THE_JOB_WRITE)
    registration = _registration_for(
        caller,
        registration_id,
        "portfolios.log_off_the_job",
        "Only the apprentice logs their off-the-job training.",
    )
    return Status(*once(request, caller, lambda: _log(caller, registration, entry)))
