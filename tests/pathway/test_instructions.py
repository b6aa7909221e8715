"""The patient is told what to do (issue 10, point 3): one service, the portal page, the
convocation PDF, the staff request page; the patient told (minimal message) when they change."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from geste import PARIS
from geste.audit.models import AuditEvent
from geste.pathway.booking import appointment_move
from geste.pathway.instructions import instructions_for, questionnaire_submit
from geste.pathway.models import RequestState
from tests.conftest import client_for
from tests.pathway.factories import book, declare, make_request
from tests.scheduling.conftest import NOW, build_centre, frozen  # noqa: F401

pytestmark = pytest.mark.django_db

LAST = datetime(2026, 3, 8, 20, 0, tzinfo=PARIS)
THURSDAY = datetime(2026, 3, 12, 10, 0, tzinfo=PARIS)
FRIDAY = datetime(2026, 3, 13, 10, 0, tzinfo=PARIS)
NO_DRUG_NAMES = ("Eliquis", "apixaban", "péridurale", "infiltration")


@pytest.fixture
def booked(frozen, alice, radiologist):  # type: ignore[no-untyped-def]  # noqa: F811
    centre = build_centre(radiologist)
    req = make_request(alice, state=RequestState.PROCEDURE_BOOKED, validated_by=radiologist)
    declare(
        alice,
        NOW - timedelta(hours=2),
        request=req,
        meds=[("Eliquis", LAST, "")],
        allergies=["iodinated_contrast"],
        allergy_details="urticaire géante au scanner en 2019",
    )
    appointment = book(req, THURSDAY, radiologist)
    appointment.room = centre.room1
    appointment.save(update_fields=["room"])
    return req, appointment, centre


def test_last_dose_of_each_drug_from_the_engine(booked):  # type: ignore[no-untyped-def]
    req, _appointment, _c = booked
    found = instructions_for(req)
    # 72 h before Thursday 10:00 (creatinine clearance unknown: the longer interval).
    assert "Dernière prise d'Eliquis au plus tard le lundi 9 mars à 10 h." in found.lines
    assert found.stops[0].last_dose_by == THURSDAY - timedelta(hours=72)
    text = " ".join(found.lines)
    assert "Prise de sang (plaquettes, INR) à faire entre le" in text
    assert "mercredi 11 mars" in text  # the day before, at the latest
    assert "doit être disponible le jour du geste" in text
    for expected in ("Apportez", "Venez accompagné(e)", "enceinte", "fièvre"):
        assert expected in text


def test_a_known_clearance_shortens_the_hold(booked, alice):  # type: ignore[no-untyped-def]
    req, _a, _c = booked
    declare(
        alice,
        NOW - timedelta(hours=1),
        request=req,
        meds=[("Eliquis", LAST, "")],
        creatinine_clearance_ml_min=80,
    )
    assert "Dernière prise d'Eliquis au plus tard le mardi 10 mars à 10 h." in (
        instructions_for(req).lines
    )


def test_a_move_recomputes_and_tells_the_patient(
    booked, alice, receptionist, mailoutbox, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    req, appointment, _centre = booked
    with django_capture_on_commit_callbacks(execute=True):
        appointment_move(appointment=appointment, start=FRIDAY, actor=receptionist, reason="test")
    assert "Dernière prise d'Eliquis au plus tard le mardi 10 mars à 10 h." in (
        instructions_for(req).lines
    )
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body + mailoutbox[0].subject
    assert "consignes" in body and "Connectez-vous" in body
    for name in NO_DRUG_NAMES:
        assert name.lower() not in body.lower()
    assert AuditEvent.objects.filter(action="instructions.changed", patient=alice).exists()


def test_a_new_questionnaire_tells_only_when_they_change(
    booked, alice, mailoutbox, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    req, _a, _c = booked
    answers = {
        "pregnant": False,
        "takes_anticoagulant": True,
        "allergies": ["iodinated_contrast"],
        "allergy_details": "urticaire géante au scanner en 2019",
        "fever": False,
        "current_infection": False,
        "infection_details": "",
        "skin_lesion_at_site": False,
        "creatinine_clearance_ml_min": None,
    }
    with django_capture_on_commit_callbacks(execute=True):
        questionnaire_submit(
            patient=alice,
            actor=alice.user,
            answers=answers,
            medications=[("Eliquis", LAST, "")],
            request=req,
        )
    assert mailoutbox == []  # the same instructions: nothing sent
    with django_capture_on_commit_callbacks(execute=True):
        questionnaire_submit(
            patient=alice,
            actor=alice.user,
            answers={**answers, "creatinine_clearance_ml_min": 80},
            medications=[("Eliquis", LAST, "")],
            request=req,
        )
    assert len(mailoutbox) == 1
    assert "eliquis" not in mailoutbox[0].body.lower()


def test_portal_page_and_convocation(booked, alice, bob):  # type: ignore[no-untyped-def]
    req, _a, _c = booked
    client = client_for(alice.user)
    page = client.get(reverse("portal:prepare")).content.decode()
    assert "Dernière prise d&#x27;Eliquis au plus tard le lundi 9 mars à 10 h." in page
    assert AuditEvent.objects.filter(action="instructions.read", patient=alice).exists()
    pdf = client.get(reverse("portal:convocation", args=[req.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    other = client_for(bob.user).get(reverse("portal:convocation", args=[req.pk]))
    assert other.status_code == 404


def test_staff_see_the_same_instructions_and_the_flags(booked, radiologist):  # type: ignore[no-untyped-def]
    req, _a, _c = booked
    page = client_for(radiologist).get(reverse("staff:request_detail", args=[req.pk]))
    text = page.content.decode()
    assert "Consignes données au patient" in text
    assert "Dernière prise d&#x27;Eliquis au plus tard le lundi 9 mars à 10 h." in text
    assert "urticaire géante au scanner en 2019" in text  # her own words
    assert 'data-flag="allergy"' in text and 'data-flag="drug"' in text


def test_reception_does_not_see_the_answers(booked, receptionist):  # type: ignore[no-untyped-def]
    req, _a, _c = booked
    page = client_for(receptionist).get(reverse("staff:request_detail", args=[req.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "urticaire géante" not in text and "Eliquis" not in text
