"""What portfolios tells the apps built on it, which it must not import."""

from django.dispatch import Signal

# Sent inside the recording transaction, with `rule` (the CentreCombinationRule just recorded
# or replaced) and `actor`. Registrations at that centre whose signed-off units already meet
# the new rule are complete now (assessments marks them: completion is its business).
combination_rule_recorded = Signal()
