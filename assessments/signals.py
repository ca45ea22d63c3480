"""What assessments tells the apps built on it, which it must not import."""

from django.dispatch import Signal

# Sent inside the unlocking transaction, with `sign_off` (the UnitSignOff just unlocked) and
# `actor`. Whatever rested on that sign-off is no longer true: verification voids the internal
# verifier's summative sign-off that covered the unit.
unit_unlocked = Signal()
