"""Turn a parsed Specification into a Django fixture with natural keys.

The output is deterministic (same specification, same bytes), so re-importing a source can be
compared with the committed fixture byte for byte.
"""

from __future__ import annotations

import json
from typing import Any

from qualifications.importers.schema import Specification, level_rank

Obj = dict[str, Any]


def _obj(model: str, **fields: Any) -> Obj:
    return {"model": f"qualifications.{model}", "fields": fields}


def _date(value: Any) -> str | None:
    return value.isoformat() if value else None


def specification_to_fixture(spec: Specification) -> list[Obj]:
    body = spec.awarding_body
    objects: list[Obj] = [
        _obj(
            "awardingbody",
            code=body.code,
            name=body.name,
            retention_weeks=body.retention_weeks,
            retention_rule=body.retention_rule,
            registration_days=body.registration_days,
            registration_rule=body.registration_rule,
            credit_transfer=body.credit_transfer,
            credit_transfer_rule=body.credit_transfer_rule,
        )
    ]
    unit_source = {unit.key: spec.source for unit in spec.units}

    for unit in spec.units:
        objects.append(
            _obj(
                "unit",
                key=unit.key,
                reference=unit.reference,
                title=unit.title,
                level=unit.level,
                level_rank=level_rank(unit.level),
                credit=unit.credit,
                glh=unit.glh,
                kind=unit.kind,
                aim=unit.aim,
                nos=list(unit.nos),
                assessment_requirements=unit.assessment_requirements,
                real_work_only=unit.real_work_only,
                guidance=unit.guidance,
                source=unit_source[unit.key],
                source_line=unit.source_line,
            )
        )
        for lo_position, outcome in enumerate(unit.outcomes, start=1):
            objects.append(
                _obj(
                    "learningoutcome",
                    unit=[unit.key],
                    number=outcome.number,
                    text=outcome.text,
                    content=outcome.content,
                    position=lo_position,
                )
            )
        position = 0
        for outcome in unit.outcomes:
            for criterion in outcome.criteria:
                position += 1
                objects.append(
                    _obj(
                        "assessmentcriterion",
                        unit=[unit.key],
                        outcome=[unit.key, outcome.number],
                        number=criterion.number,
                        text=criterion.text,
                        guidance=criterion.guidance,
                        position=position,
                    )
                )

    for qualification in spec.qualifications:
        objects.append(
            _obj(
                "qualification",
                number=qualification.number,
                awarding_body=[spec.awarding_body.code],
                title=qualification.title,
                level=qualification.level,
                qualification_type=qualification.qualification_type,
                credit_value=qualification.credit_value,
                glh=qualification.glh,
                glh_max=qualification.glh_max,
                tqt=qualification.tqt,
                minimum_age=qualification.minimum_age,
                age_note=qualification.age_note,
                operational_start=_date(qualification.operational_start),
                operational_end=_date(qualification.operational_end),
                certification_end=_date(qualification.certification_end),
                grading=qualification.grading,
                min_credits=qualification.min_credits,
                max_credits=qualification.max_credits,
                min_units=qualification.min_units,
                min_glh=qualification.min_glh,
                rules_text=qualification.rules_text,
                rules_given=qualification.rules_given,
                source=qualification.source,
                notes=list(qualification.notes),
                # Only where it holds, so sources that do not require it keep their fixtures.
                **(
                    {"decisions_need_validation": True}
                    if qualification.decisions_need_validation
                    else {}
                ),
                **{
                    name: getattr(qualification, name)
                    for name in ("validation_rule", "simulation_rule", "rwe_guidelines")
                    if getattr(qualification, name)
                },
            )
        )
        member_position = 0
        for group_position, group in enumerate(qualification.groups, start=1):
            objects.append(
                _obj(
                    "rulegroup",
                    qualification=[qualification.number],
                    code=group.code,
                    name=group.name,
                    mandatory=group.mandatory,
                    min_credits=group.min_credits,
                    max_credits=group.max_credits,
                    min_units=group.min_units,
                    max_units=group.max_units,
                    rule_text=group.rule_text,
                    position=group_position,
                )
            )
            for membership in group.units:
                member_position += 1
                objects.append(
                    _obj(
                        "qualificationunit",
                        qualification=[qualification.number],
                        unit=[membership.unit],
                        group=[qualification.number, group.code],
                        code=membership.code,
                        position=member_position,
                    )
                )
        for rule_position, rule in enumerate(qualification.level_rules, start=1):
            objects.append(
                _obj(
                    "levelrule",
                    qualification=[qualification.number],
                    position=rule_position,
                    min_credits=rule.min_credits,
                    level=rule.level,
                    at_or_above=rule.at_or_above,
                    groups=list(rule.groups),
                    rule_text=rule.rule_text,
                    # Only where one is recorded, so the other sources keep their fixtures.
                    **({"reading": rule.reading} if rule.reading else {}),
                )
            )
        for unit_a, unit_b in qualification.barred:
            objects.append(
                _obj(
                    "barredpair",
                    qualification=[qualification.number],
                    unit_a=[unit_a],
                    unit_b=[unit_b],
                )
            )

    for standard in spec.standards:
        objects.append(
            _obj(
                "standard",
                code=standard.code,
                title=standard.title,
                reference=standard.reference,
                level=standard.level,
                qualification=[standard.qualification],
                source=spec.source,
            )
        )
        for statement_position, statement in enumerate(standard.statements, start=1):
            objects.append(
                _obj(
                    "statement",
                    standard=[standard.code],
                    category=statement.category,
                    heading=statement.heading,
                    code=statement.code,
                    text=statement.text,
                    no_mapping=statement.no_mapping,
                    note=statement.note,
                    position=statement_position,
                    units=[[key] for key in statement.units],
                )
            )
            for link_position, link in enumerate(statement.criteria, start=1):
                objects.append(
                    _obj(
                        "statementcriterion",
                        statement=[standard.code, statement.code],
                        criterion=[link.unit, link.criterion],
                        printed_text=link.printed_text,
                        source_line=link.line,
                        note=link.note,
                        position=link_position,
                    )
                )
    return objects


def dumps(objects: list[Obj]) -> str:
    return json.dumps(objects, indent=1, ensure_ascii=False) + "\n"
