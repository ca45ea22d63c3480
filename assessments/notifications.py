"""E-mails about assessment: to the learner when evidence is assessed or returned, and to each
assessor a daily digest of submissions rather than a message per file."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from accounts.models import User
from portfolios.models import Evidence, EvidenceStatus, Registration


def notify_learner(*, evidence_id: int, event: str) -> bool:
    """Tell the learner their evidence was assessed or returned. Returns whether mail went."""
    evidence = (
        Evidence.objects.select_related("registration__learner", "registration__qualification")
        .filter(pk=evidence_id)
        .first()
    )
    if evidence is None:
        return False
    if event == "returned" and evidence.status != EvidenceStatus.RETURNED:
        # Only a return given to the learner is news to them: one held for an internal
        # verifier (assessments.models.returns) leaves the evidence submitted until agreed.
        return False
    learner = evidence.registration.learner
    if event == "returned":
        subject = f"Your evidence “{evidence.title}” needs changes"
        body = (
            f"Hello {learner.get_short_name()},\n\nYour assessor has returned “{evidence.title}” "
            "for resubmission. Sign in to read their feedback and start a new version.\n"
        )
    else:
        subject = f"Your evidence “{evidence.title}” has been assessed"
        body = (
            f"Hello {learner.get_short_name()},\n\nYour assessor has judged every criterion "
            f"“{evidence.title}” was mapped to. Sign in to read the decisions and feedback.\n"
        )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [learner.email])
    return True


def send_digests(*, since: timedelta = timedelta(days=1)) -> int:
    """One e-mail per assessor listing evidence submitted by their learners since `since` ago."""
    cutoff = timezone.now() - since
    submitted = (
        Evidence.objects.filter(status=EvidenceStatus.SUBMITTED, submitted_at__gte=cutoff)
        .select_related("registration__learner", "registration__qualification")
        .order_by("submitted_at")
    )
    by_registration: dict[int, list[Evidence]] = {}
    for evidence in submitted:
        by_registration.setdefault(evidence.registration_id, []).append(evidence)
    if not by_registration:
        return 0
    per_assessor: dict[int, list[Evidence]] = {}
    through = Registration.assessors.through.objects.filter(
        registration_id__in=by_registration
    ).values_list("registration_id", "user_id")
    for registration_id, user_id in through:
        per_assessor.setdefault(user_id, []).extend(by_registration[registration_id])
    sent = 0
    for assessor in User.objects.filter(pk__in=per_assessor, is_active=True):
        items = per_assessor[assessor.pk]
        lines = [
            f"- {e.registration.learner.get_full_name()}: “{e.title}” "
            f"({e.registration.qualification.number}), submitted {e.submitted_at:%d %b %H:%M}"
            for e in items
        ]
        send_mail(
            f"{len(items)} piece{'s' if len(items) != 1 else ''} of evidence to assess",
            "Evidence submitted by your learners in the last day:\n\n" + "\n".join(lines) + "\n",
            settings.DEFAULT_FROM_EMAIL,
            [assessor.email],
        )
        sent += 1
    return sent
