"""What other apps add to the page of a piece of evidence (portfolios/evidence_detail.html).

portfolios sits beneath the apps that judge evidence (assessments), so it cannot import them:
they add a source of sections here in their AppConfig.ready, as portfolios adds links to a
person's page (accounts.person_page).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from portfolios.models import Evidence
from qualifications.models import AssessmentCriterion


@dataclass(frozen=True)
class EvidenceSection:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


# Each is given the person looking, the evidence and the criteria it maps to (by id, each with
# its unit: the page has built them already, so a section never reads them again), and answers
# its section or None; a fixed number of queries whatever the evidence holds.
Criteria = Mapping[int, AssessmentCriterion]
SectionSource = Callable[[Any, Evidence, Criteria], EvidenceSection | None]
section_sources: list[SectionSource] = []


def sections_for(user: Any, evidence: Evidence, criteria: Criteria) -> list[EvidenceSection]:
    found = (source(user, evidence, criteria) for source in section_sources)
    return [section for section in found if section is not None]
