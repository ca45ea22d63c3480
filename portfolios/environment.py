"""Where evidence came from: real work, a realistic working environment, or simulation.

Two rules, each from the specification, asked wherever evidence is mapped to criteria (the
learner's draft, its submission, the assessor's mapping, the assessor's records, witness
requests), so no path lets evidence count where the rule says it may not:

- Real work only. A unit marked real_work_only (SFJ: "All Level 3 and Level 4 units must be
  achieved in a real working situation (either paid or voluntary)", section 4.7; Pearson Unit
  8) takes evidence from real work alone: neither a realistic working environment nor a
  simulation, whether the simulation is named as the method or as the setting.
- Simulation by prior agreement. Where the qualification's specification allows simulation only
  with the awarding body's agreement (Qualification.simulation_rule quotes it: SFJ section
  4.7), evidence by simulation counts towards a unit only under a recorded agreement covering
  that unit, made on or before the evidence's date ("prior to use").

A realistic working environment is allowed where real work is not required; the guidelines it
must meet (Qualification.rwe_guidelines, SFJ section 4.6) are shown where it is chosen.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Q

from portfolios.models import (
    NOT_REAL_WORK,
    Evidence,
    EvidenceContext,
    EvidenceMethod,
    Registration,
    SimulationAgreement,
)
from qualifications.models import AssessmentCriterion, Qualification, Unit

REAL_WORK_RULE = "Real work only"
SIMULATION_RULE = "Simulation only by prior agreement"


class SettingRefused(Exception):
    """Evidence from this setting cannot count towards these criteria; the message names the
    rule and its source. The services turn it into their own error."""


def is_simulation(*, method: str, context: str) -> bool:
    return method == EvidenceMethod.SIMULATION or context == EvidenceContext.SIMULATION


def _label(*, method: str, context: str) -> str:
    if method == EvidenceMethod.SIMULATION:
        return EvidenceMethod(method).label
    return EvidenceContext(context).label if context in EvidenceContext.values else context


def _unit_label(unit: Unit) -> str:
    return unit.reference or unit.key


def real_work_source(unit: Unit) -> str:
    """The specification's words that make the unit real work only, and where they are."""
    words = next(
        (
            line.strip()
            for line in reversed(unit.assessment_requirements.splitlines())
            if "real work" in line.lower()
        ),
        "",
    )
    where = unit.source + (f", unit at line {unit.source_line}" if unit.source_line else "")
    return f'{where}: "{words}"' if words else where


def check_real_work(*, method: str, context: str, criteria: Iterable[AssessmentCriterion]) -> None:
    if context not in NOT_REAL_WORK and method != EvidenceMethod.SIMULATION:
        return
    units = {c.unit_id: c.unit for c in criteria if c.unit.real_work_only}
    if not units:
        return
    refused = sorted(units.values(), key=_unit_label)
    raise SettingRefused(
        f"{REAL_WORK_RULE}: {_label(method=method, context=context)} evidence cannot count "
        f"towards {', '.join(_unit_label(u) for u in refused)}: the specification requires "
        f"these units to be achieved in real work (paid or voluntary) "
        f"({real_work_source(refused[0])})."
    )


def agreed_units(*, centre_id: int, qualification_id: int, on: date) -> set[int]:
    """The units the centre's simulation agreements for this qualification cover on a date:
    made on or before it, and not withdrawn by then."""
    return set(
        SimulationAgreement.units.through.objects.filter(
            simulationagreement__centre_id=centre_id,
            simulationagreement__qualification_id=qualification_id,
            simulationagreement__agreed_on__lte=on,
        )
        .filter(
            Q(simulationagreement__withdrawn_on__isnull=True)
            | Q(simulationagreement__withdrawn_on__gt=on)
        )
        .values_list("unit_id", flat=True)
    )


def check_simulation_agreed(
    *,
    registration: Registration,
    method: str,
    context: str,
    evidence_date: date,
    criteria: Iterable[AssessmentCriterion],
) -> None:
    if not is_simulation(method=method, context=context):
        return
    qualification: Qualification = registration.qualification
    if not qualification.simulation_rule:
        return
    units = {c.unit_id: c.unit for c in criteria}
    if not units:
        return
    covered = agreed_units(
        centre_id=registration.centre_id, qualification_id=qualification.pk, on=evidence_date
    )
    missing = sorted((u for pk, u in units.items() if pk not in covered), key=_unit_label)
    if missing:
        raise SettingRefused(
            f"{SIMULATION_RULE}: simulation evidence dated "
            f"{evidence_date.day} {evidence_date:%B %Y} cannot "
            f"count towards {', '.join(_unit_label(u) for u in missing)}: no agreement with "
            f"{qualification.awarding_body.name} for these units was recorded on or before "
            f"that date. {qualification.simulation_rule}"
        )


def check_setting(
    *,
    registration: Registration,
    method: str,
    context: str,
    evidence_date: date,
    criteria: Iterable[AssessmentCriterion],
) -> None:
    """Both rules, real work first (no agreement makes simulation count on a real-work unit)."""
    criteria = list(criteria)
    check_real_work(method=method, context=context, criteria=criteria)
    check_simulation_agreed(
        registration=registration,
        method=method,
        context=context,
        evidence_date=evidence_date,
        criteria=criteria,
    )


def met_refusal(
    *,
    registration: Registration,
    criterion: AssessmentCriterion,
    method: str,
    assessed_on: date,
    evidence: Iterable[Evidence],
) -> str:
    """Why a criterion may not be judged met by this method on this evidence ("" if it may):
    the same rules, asked of the assessor's method and of each piece of evidence, so nothing
    mapped before the rules held (or judged "by simulation") counts where they say it may not.
    Asks the database only when something is not plainly real work."""
    kinds = [(method, EvidenceContext.REAL_WORK_PAID, assessed_on)] + [
        (item.method, item.context, item.evidence_date) for item in evidence
    ]
    for kind_method, kind_context, day in kinds:
        if kind_context in NOT_REAL_WORK or is_simulation(method=kind_method, context=kind_context):
            try:
                check_setting(
                    registration=registration,
                    method=kind_method,
                    context=kind_context,
                    evidence_date=day,
                    criteria=[criterion],
                )
            except SettingRefused as refused:
                return str(refused)
    return ""
