"""The radiologist's home lists today's procedures, requests to validate, reports to sign and
open alerts, each linked to its request; the planner, agenda, reception list and worklist rows
link to their request (issue 13, point 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from geste.pathway.models import RequestState
from geste.pathway.records import FollowUp
from tests.conftest import client_for
from tests.pathway.factories import book, make_request
from tests.scheduling.conftest import NOW, frozen  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]
TODAY_10 = NOW.replace(hour=10)


def _work(patient, radiologist, n: int = 1, first: int = 0) -> dict:  # type: ignore[no-untyped-def]
    made: dict = {"today": [], "validate": [], "sign": [], "alert": []}
    for i in range(first, first + n):
        today = make_request(patient, state=RequestState.PROCEDURE_BOOKED)
        book(today, TODAY_10 + timedelta(minutes=30 * i), radiologist)
        made["today"].append(today)
        made["validate"].append(make_request(patient, state=RequestState.CONSULTATION_DONE))
        made["sign"].append(make_request(patient, state=RequestState.PERFORMED))
        alerted = make_request(patient, state=RequestState.REPORTED)
        FollowUp.objects.create(
            request=alerted, due_at=NOW - timedelta(days=1), answered_at=NOW, alert=True
        )
        made["alert"].append(alerted)
    return made


def test_home_lists_what_waits_with_links(alice, radiologist) -> None:  # type: ignore[no-untyped-def]
    made = _work(alice, radiologist)
    page = client_for(radiologist).get(reverse("staff:home")).content.decode()
    for title in (
        "Gestes du jour",
        "Indications à valider",
        "Comptes rendus à signer",
        "Alertes de suivi ouvertes",
    ):
        assert title in page
    assert "10:00" in page
    for key in ("today", "validate", "alert"):
        assert reverse("staff:request_detail", args=[made[key][0].pk]) in page
    assert reverse("staff:report", args=[made["sign"][0].pk]) in page


def test_home_query_count_is_flat(alice, bob, radiologist, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = client_for(radiologist)
    _work(alice, radiologist, n=1)
    client.get(reverse("staff:home"))  # warm the session
    # 7 queries with one item per list as with nine (measured): one per list, none per row.
    with django_assert_max_num_queries(7):
        client.get(reverse("staff:home"))
    _work(bob, radiologist, n=8, first=1)
    with django_assert_max_num_queries(7):
        page = client.get(reverse("staff:home")).content.decode()
    assert page.count("Lefèvre".upper()) >= 8 * 4


def test_rows_of_the_day_link_to_their_request(  # type: ignore[no-untyped-def]
    alice, radiologist, receptionist, technologist
):
    req = make_request(alice, state=RequestState.PROCEDURE_BOOKED)
    book(req, TODAY_10, radiologist)
    detail = reverse("staff:request_detail", args=[req.pk])
    day = NOW.date().isoformat()
    pages = {
        "planner": client_for(receptionist).get(reverse("staff:planner"), {"jour": day}),
        "agenda": client_for(radiologist).get(reverse("staff:agenda"), {"jour": day}),
        "reception": client_for(receptionist).get(reverse("staff:reception")),
        "worklist": client_for(technologist).get(reverse("staff:tech_worklist")),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert f'href="{detail}"' in response.content.decode(), name
