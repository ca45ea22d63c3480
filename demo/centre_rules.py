"""The demo centre's own records about how it may assess: an awarding body's agreement to a
simulation (SFJ section 4.7) and the interim rule of combination it states for NCFE 601/3973/0,
whose document gives none. Each is recorded once; a second seed finds it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Centre, User
from portfolios.combination import record_combination_rule
from portfolios.models import CentreCombinationRule, SimulationAgreement, SimulationCircumstance
from portfolios.models.combination import RuleBasis
from portfolios.simulation import record_simulation_agreement
from qualifications.models import Qualification, Unit
from qualifications.queries import combination_rules

NCFE_STANDARD = "601/3973/0"


def seed_centre_rules(*, centre: Centre, actor: User) -> None:
    today = timezone.localdate()
    offered = centre.qualifications.all()
    for qualification in offered.exclude(simulation_rule="").order_by("number"):
        if SimulationAgreement.objects.filter(centre=centre, qualification=qualification).exists():
            continue
        # Units that must be achieved in real work never take simulation; the first two others.
        units = list(
            Unit.objects.filter(
                key__in=combination_rules(qualification).units, real_work_only=False
            ).order_by("key")[:2]
        )
        if not units:
            continue
        record_simulation_agreement(
            actor=actor,
            centre=centre,
            qualification=qualification,
            units=units,
            circumstance=SimulationCircumstance.RISK,
            agreed_by="Centre's external quality assurer, for the awarding body",
            agreed_on=today - timedelta(days=120),
            reference=f"SIM-{centre.number}-001",
            arrangements=(
                "Conflict scenarios in the training suite set out as a custody reception desk; "
                "role players briefed from the agreed scenario pack, version 2."
            ),
        )
    ncfe = Qualification.objects.filter(number=NCFE_STANDARD, centres=centre).first()
    if (
        ncfe is not None
        and not CentreCombinationRule.objects.filter(centre=centre, qualification=ncfe).exists()
    ):
        record_combination_rule(
            actor=actor,
            centre=centre,
            qualification=ncfe,
            basis=RuleBasis.INTERIM,
            source=(
                "Interim, until the awarding body's qualification specification is obtained: "
                "every unit of the standard's mapping, agreed with the EQA at the last visit."
            ),
            min_units=len(combination_rules(ncfe).units),
        )
