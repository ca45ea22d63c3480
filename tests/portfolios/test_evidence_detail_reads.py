"""The page of one piece of evidence reads what it shows, not the whole portfolio (issue 15).

A submitted record lists the criteria it maps to; only the learner's own draft offers every
criterion of every unit to tick. On the largest portfolio (SFJ 601/1109/4, 59 units, 1,232
criteria) the first reads 3 criteria, the second all of them: counted as model rows built.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db.models.signals import post_init
from django.test import Client
from django.urls import reverse

from portfolios.models import EvidenceStatus
from qualifications.models import AssessmentCriterion
from tests.portfolios import test_portfolio_page as portfolio_page
from tests.portfolios.test_portfolio_page import World, criteria, record, sfj_with_every_unit

pytestmark = pytest.mark.usefixtures("catalogue")
world = portfolio_page.world  # the same fixture: a centre with the SFJ diploma and its staff


@contextmanager
def criteria_built() -> Iterator[list[int]]:
    """Counts the AssessmentCriterion objects made while inside."""
    built: list[int] = []

    def count(sender: type, instance: AssessmentCriterion, **kwargs: object) -> None:
        built.append(instance.pk)

    post_init.connect(count, sender=AssessmentCriterion)
    try:
        yield built
    finally:
        post_init.disconnect(count, sender=AssessmentCriterion)


def test_a_submitted_record_reads_only_the_criteria_it_maps_to(
    client: Client, world: World
) -> None:
    registration = sfj_with_every_unit(world)
    every = criteria(registration)
    assert len(every) == 1232
    mapped = [every[0], every[40], every[1000]]
    evidence = record(registration, mapped)
    for who in (world.learner, world.assessor, world.iv):
        client.force_login(who)
        with criteria_built() as built:
            response = client.get(reverse("evidence:detail", args=[evidence.pk]))
        assert response.status_code == 200
        assert sorted(built) == sorted(c.pk for c in mapped), who
        html = response.content.decode()
        for criterion in mapped:
            assert criterion.text in html


def test_the_learners_own_draft_offers_every_criterion(client: Client, world: World) -> None:
    registration = sfj_with_every_unit(world)
    every = criteria(registration)
    evidence = record(registration, every[:2], status=EvidenceStatus.DRAFT)
    client.force_login(world.learner)
    with criteria_built() as built:
        response = client.get(reverse("evidence:detail", args=[evidence.pk]))
    assert response.status_code == 200
    assert len(set(built)) == 1232
    assert f'value="{every[1231].pk}"' in response.content.decode()
