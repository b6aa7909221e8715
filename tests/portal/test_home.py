"""The patient's home page: next appointment, questionnaire due, new results, follow-up due,
booking link, and the crisis room's deferral notice."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from geste.pathway.models import FollowUp, Report, RequestState
from tests.pathway.factories import book, declare, make_request

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-03-10T09:00:00+01:00")


def _home(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get(reverse("portal:home"))
    assert page.status_code == 200
    return page.content.decode()


@time_machine.travel(NOW, tick=False)
def test_booking_links_and_nothing_to_do(alice_client):
    html = _home(alice_client)
    assert reverse("portal:book") in html and "Prendre rendez-vous" in html
    assert reverse("portal:my_appointments") in html
    assert "Aucun rendez-vous à venir." in html
    assert "Remplir le questionnaire" not in html
    assert "Votre rendez-vous est reporté" not in html


@time_machine.travel(NOW, tick=False)
def test_next_appointment_and_questionnaire_due(alice, alice_client, radiologist):
    req = make_request(alice, "facet_infiltration", state=RequestState.PROCEDURE_BOOKED)
    book(req, NOW + timedelta(days=3, hours=1), radiologist)
    html = _home(alice_client)
    assert "vendredi 13 mars 2026" in html and "10:00" in html
    assert "Votre geste" in html
    assert "Remplir le questionnaire" in html
    declare(alice, NOW - timedelta(hours=1))
    assert "Remplir le questionnaire" not in _home(alice_client)


@time_machine.travel(NOW, tick=False)
def test_questionnaire_asked_again_when_too_old_for_the_day(alice, alice_client, radiologist):
    req = make_request(alice, "facet_infiltration", state=RequestState.PROCEDURE_BOOKED)
    book(req, NOW + timedelta(days=2), radiologist)
    declare(alice, NOW - timedelta(days=6))  # 8 days before the procedure: too old
    html = _home(alice_client)
    assert "Remplir le questionnaire" in html
    assert "plus d'une semaine" in html


@time_machine.travel(NOW, tick=False)
def test_answered_long_before_a_far_procedure_is_asked_only_in_the_window(
    alice, alice_client, radiologist
):
    req = make_request(alice, "facet_infiltration", state=RequestState.PROCEDURE_BOOKED)
    book(req, NOW + timedelta(days=20), radiologist)
    declare(alice, NOW - timedelta(days=1))
    assert "Remplir le questionnaire" not in _home(alice_client)
    with time_machine.travel(NOW + timedelta(days=14), tick=False):
        assert "Remplir le questionnaire" in _home(alice_client)


@time_machine.travel(NOW, tick=False)
def test_new_results_until_read_and_followup_when_due(alice, alice_client, radiologist):
    req = make_request(alice, "facet_infiltration", state=RequestState.REPORTED)
    Report.objects.create(request=req, text="t", signed_by=radiologist, signed_at=NOW)
    fu = FollowUp.objects.create(request=req, due_at=NOW + timedelta(hours=48))
    html = _home(alice_client)
    assert "Nouveaux résultats" in html
    assert reverse("portal:followup", args=[fu.pk]) not in html  # not yet due
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        alice_client.get(reverse("portal:my_results"))
    with time_machine.travel(NOW + timedelta(hours=49), tick=False):
        html = _home(alice_client)
    assert "Nouveaux résultats" not in html
    assert reverse("portal:followup", args=[fu.pk]) in html


@time_machine.travel(NOW, tick=False)
def test_crisis_deferral_notice(alice, alice_client):
    make_request(
        alice, "facet_infiltration", state=RequestState.DEFERRED, review_on=date(2026, 4, 1)
    )
    html = _home(alice_client)
    assert "Votre rendez-vous est reporté" in html
    assert "01/04/2026" in html


def test_bob_sees_only_his_own(alice, bob_client, radiologist):
    req = make_request(alice, "facet_infiltration", state=RequestState.REPORTED)
    Report.objects.create(request=req, text="t", signed_by=radiologist, signed_at=NOW)
    make_request(alice, "facet_infiltration", state=RequestState.DEFERRED)
    html = _home(bob_client)
    assert "Nouveaux résultats" not in html
    assert "Votre rendez-vous est reporté" not in html
    assert "MOREAU" not in html
