"""What other apps offer on a person's page at a centre (templates/accounts/person.html).

accounts sits beneath the apps that keep records about a person (portfolios registers
learners), so it cannot import them: they add a source of links here in their AppConfig.ready,
as assessments and verification add audit checkpoint sources to core.audit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import Centre, User


@dataclass(frozen=True)
class PersonLink:
    text: str
    url: str


# Each is given the person, the centre and the roles they hold there, and answers the links
# it offers (none, most often); no queries, the page's count must not grow with the apps.
LinkSource = Callable[[User, Centre, frozenset[str]], list[PersonLink]]
link_sources: list[LinkSource] = []


def links_for(person: User, centre: Centre, roles: frozenset[str]) -> list[PersonLink]:
    return [link for source in link_sources for link in source(person, centre, roles)]
