"""Progress reviews for the demo's apprentices (issue 19, point 4): Chloe Walsh and Hannah Price
have signed, locked reviews twelve weeks or so apart, the last within the centre's interval;
Daniel Hughes, on the programme longer than the interval, has none signed, so his review is
overdue: one is written and signed by him alone, waiting for the employer and the provider (the
browser journey signs it, the employer through the one-time link or their login).

Through the services, so each review has its snapshot, signatures and audit events; a second
run finds each apprentice's reviews and adds nothing."""

from __future__ import annotations

from datetime import timedelta

import rules
from django.utils import timezone

from accounts.models import Centre, User
from demo.centres import DemoCentre
from portfolios.models import Apprenticeship, ProgressReview, SignerRole
from portfolios.reviews import review_create, review_sign

# (apprentice, how many days ago each review was held, all three sign?). Counted back from
# today, not on from the practical period's start, which other parts of the demo set (Chloe's
# began over a year ago, so she is at the gateway): the last review stays within the interval.
PLAN: dict[str, tuple[tuple[int, ...], bool]] = {
    "Chloe Walsh": ((172, 88, 6), True),
    "Hannah Price": ((90, 6), True),
    "Daniel Hughes": ((), False),
}
PROGRESS = (
    "Good progress since the last review: the complaints-handling observation covered S2 and "
    "B1, and the reflective account on service recovery is nearly ready. K4 (data protection) "
    "still needs evidence beyond the e-learning certificate."
)
TARGETS = (
    "Submit the reflective account on service recovery within two weeks\n"
    "Arrange a professional discussion on data protection (K4) with the assessor\n"
    "Keep logging off-the-job hours weekly"
)
NOTES = "Settled in the team; no wellbeing or safeguarding concerns raised."


def seed_reviews(*, centre: Centre, demo: DemoCentre) -> None:
    admin = User.objects.get(email=demo.centre_admin.email)
    contact = User.objects.get(email=demo.employer_contact.email)
    today = timezone.localdate()
    records = Apprenticeship.objects.filter(
        registration__centre=centre,
        registration__learner__full_name__in=list(PLAN),
    ).select_related("registration__learner")
    for record in records:
        registration = record.registration
        if ProgressReview.objects.filter(registration=registration).exists():
            continue
        days, signed = PLAN[registration.learner.full_name]
        assessor = registration.assessors.order_by("pk").first()
        # The registration's assessor writes and signs for the provider; else the centre admin.
        provider = (
            assessor
            if assessor is not None
            and rules.test_rule("portfolios.write_review", assessor, registration)
            else admin
        )
        dates = [max(today - timedelta(days=n), record.practical_start) for n in days] or [today]
        for on in sorted(set(dates)):
            review = review_create(
                actor=provider,
                registration=registration,
                review_date=min(on, today),
                progress_comment=PROGRESS,
                targets=TARGETS,
                staff_notes=NOTES,
            )
            review_sign(actor=registration.learner, review=review, role=SignerRole.APPRENTICE)
            if signed:
                review_sign(actor=contact, review=review, role=SignerRole.EMPLOYER)
                review_sign(actor=provider, review=review, role=SignerRole.PROVIDER)
