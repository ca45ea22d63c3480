"""Pages for assessor-made records: make and sign one, read it, and the learner's acknowledgement.

Thin: load through visible_to (anything the person may not see answers 404), check who may act
(403), bind a form, call one service, redirect. The services' refusals come back as messages and
the form comes back with everything typed.
"""

from __future__ import annotations

from typing import Any

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.requests import AuthedRequest
from assessments import records
from assessments.forms.record import AcknowledgeForm, QuestionFormSet, RecordForm
from assessments.models import AssessorRecord, RecordKind, UnitSignOff
from core.forms import sent_values
from portfolios.evidence import max_upload_bytes
from portfolios.models import Registration
from portfolios.progress import taken_units
from portfolios.uploads import EvidenceUploadHandler

INTERRUPTED = "The upload was interrupted before it finished. Choose the recording again."


class RecordingUploadHandler(EvidenceUploadHandler):
    """The evidence upload handler (streams to disk, drops a file as soon as it passes the limit),
    except that a body over the limit is still parsed: the record's typed fields must come back
    to the assessor even when the recording is refused."""

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        return None


def _registration(request: AuthedRequest, pk: int) -> Registration:
    return get_object_or_404(
        Registration.objects.visible_to(request.user).select_related(
            "learner", "centre", "qualification"
        ),
        pk=pk,
    )


def _form_page(
    request: AuthedRequest,
    registration: Registration,
    kind: RecordKind,
    form: RecordForm,
    questions: Any,
    *,
    status: int = 200,
) -> HttpResponse:
    units = taken_units(registration)
    ticked = {str(v) for v in sent_values(form, "criteria")} if form.is_bound else set()
    locked = set(
        UnitSignOff.objects.active()
        .filter(registration=registration)
        .values_list("unit_id", flat=True)
    )
    return render(
        request,
        "assessments/record_form.html",
        {
            "registration": registration,
            "kind": kind,
            "form": form,
            "questions": questions,
            "units": units,
            "ticked": ticked,
            "locked_units": locked,
            "open_units": {
                entry.unit.pk
                for entry in units
                if any(str(row.criterion.pk) in ticked for row in entry.criteria)
            },
        },
        status=status,
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
@login_required
def record_create(request: AuthedRequest, pk: int, kind: str) -> HttpResponse:
    """CSRF is checked in _create: the upload handler must be in place before the body is read."""
    registration = _registration(request, pk)
    if kind not in RecordKind.values:
        raise Http404("No such kind of record.")
    if not rules.test_rule("assessments.assess_registration", request.user, registration):
        raise PermissionDenied
    record_kind = RecordKind(kind)
    handler = None
    if request.method == "POST":
        handler = RecordingUploadHandler(request, limit=max_upload_bytes())
        handler.install(request)
    try:
        return _create(request, registration, record_kind, handler)
    finally:
        if handler is not None:
            handler.discard()


@csrf_protect
def _create(
    request: AuthedRequest,
    registration: Registration,
    kind: RecordKind,
    handler: RecordingUploadHandler | None,
) -> HttpResponse:
    if request.method != "POST":
        form = RecordForm(kind=kind, registration=registration)
        questions = QuestionFormSet(prefix="questions")
        return _form_page(request, registration, kind, form, questions)
    form = RecordForm(request.POST, request.FILES, kind=kind, registration=registration)
    questions = QuestionFormSet(request.POST, prefix="questions")
    refusals = [r.refusal for r in handler.received if r.refusal] if handler else []
    if handler is not None and handler.interrupted:
        refusals.append(INTERRUPTED)
    questions_ok = kind != RecordKind.QUESTIONING or questions.is_valid()
    if refusals or not form.is_valid() or not questions_ok:
        for refusal in refusals:
            form.add_error(None, refusal)
        return _form_page(request, registration, kind, form, questions, status=400)
    data = form.cleaned_data
    user = request.user
    try:
        record = records.create_record(
            assessor=user,
            registration=registration,
            kind=kind,
            title=data["title"],
            occurred_on=data["occurred_on"],
            place=data["place"],
            context=data["context"],
            account=data["account"],
            criteria=data["criteria"],
            questions=[records.QA(q, a) for q, a in questions.pairs()]
            if kind == RecordKind.QUESTIONING
            else [],
            recording=data.get("recording"),
        )
    except records.RecordError as error:
        messages.error(request, str(error))
        return _form_page(request, registration, kind, form, questions, status=400)
    messages.success(
        request,
        f"{kind.label} record signed and added to the portfolio. Judge its criteria when you "
        "are ready; the learner is asked to acknowledge it.",
    )
    return redirect("assessments:record", pk=record.pk)


def _record(request: AuthedRequest, pk: int) -> AssessorRecord:
    return get_object_or_404(
        AssessorRecord.objects.visible_to(request.user).select_related(
            "assessor",
            "evidence__registration__learner",
            "evidence__registration__qualification",
            "evidence__registration__centre",
        ),
        pk=pk,
    )


def _detail(
    request: AuthedRequest,
    record: AssessorRecord,
    *,
    form: AcknowledgeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    evidence = record.evidence
    registration = evidence.registration
    criteria = list(
        evidence.mappings.select_related("criterion__unit").order_by(
            "criterion__unit_id", "criterion__position"
        )
    )
    is_learner = registration.learner_id == request.user.pk
    return render(
        request,
        "assessments/record_detail.html",
        {
            "record": record,
            "evidence": evidence,
            "registration": registration,
            "questions": list(record.questions.all()),
            "files": list(evidence.files.all()),
            "criteria": [m.criterion for m in criteria],
            "can_acknowledge": is_learner and not record.is_acknowledged,
            "can_assess": rules.test_rule(
                "assessments.assess_registration", request.user, registration
            ),
            "form": form or AcknowledgeForm(),
        },
        status=status,
    )


@require_GET
@login_required
def record_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, _record(request, pk))


@require_POST
@login_required
def record_acknowledge(request: AuthedRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    if record.evidence.registration.learner_id != request.user.pk:
        raise PermissionDenied
    if record.is_acknowledged:
        # The same form sent twice: the first one acknowledged it.
        messages.info(request, "You have already acknowledged this record.")
        return redirect("assessments:record", pk=pk)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        return _detail(request, record, form=form, status=400)
    try:
        records.acknowledge_record(
            learner=request.user,
            record=record,
            comment=form.cleaned_data["comment"],
            disagrees=form.cleaned_data["disagrees"],
        )
    except records.RecordError as error:
        messages.error(request, str(error))
        return _detail(request, record, form=form, status=400)
    messages.success(request, "Thank you: your acknowledgement is recorded.")
    return redirect("assessments:record", pk=pk)
