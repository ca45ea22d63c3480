"""What other apps add to the page of a piece of evidence (portfolios/evidence_detail.html).

portfolios sits beneath the apps that judge evidence (assessments), so it cannot import them:
they add a source of sections here in their AppConfig.ready, as portfolios adds links to a
person's page (accounts.person_page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from portfolios.models import Evidence


@dataclass(frozen=True)
class EvidenceSection:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


# Each is given the person looking and the evidence, and answers its section or None; a fixed
# number of queries whatever the evidence holds.
SectionSource = Callable[[Any, Evidence], EvidenceSection | None]
section_sources: list[SectionSource] = []


def sections_for(user: Any, evidence: Evidence) -> list[EvidenceSection]:
    found = (source(user, evidence) for source in section_sources)
    return [section for section in found if section is not None]
