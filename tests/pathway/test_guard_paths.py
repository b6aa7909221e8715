"""One clinical guard wherever a procedure is put at a time (issue 10, point 2).

The same patient on every path: Alice, on apixaban, last dose Monday 9 March 2026 at 00:00;
an epidural (high bleeding risk) with her creatinine clearance unknown needs 72 h, so nothing
before Thursday 12 March at 00:00. Each path tries Wednesday 11 March at 12:00 (60 h after the
last dose, free in the calendar) and must refuse it with a French message naming the earliest
safe time, writing nothing. Each test fails when the guard (`pathway.booking.procedure_guard`,
or for the lists the prerequisites' `not_before`) is taken out.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from geste import PARIS
from geste.api.fhir.mappers.scheduling import SlotKey
from geste.api.models import ApiToken
from geste.clinic.models import Procedure
from geste.crisis.models import CrisisPeriod, PlanStatus, RecoveryItem, RecoveryPlan
from geste.pathway import booking
from geste.pathway.models import ProcedureRequest, RequestState
from geste.pathway.offers import offer_accept
from geste.pathway.waitlist import offer_next, waitlist_join
from geste.scheduling.errors import BookingError
from geste.scheduling.forms import slot_value
from geste.scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    OfferStatus,
    WaitlistOffer,
)
from geste.scheduling.selectors import SlotOption
from tests.conftest import client_for
from tests.pathway.factories import declare
from tests.scheduling.conftest import NOW, Centre, build_centre, frozen  # noqa: F401

pytestmark = pytest.mark.django_db

EPIDURAL = "epidural_infiltration"
LAST_DOSE = datetime(2026, 3, 9, 0, 0, tzinfo=PARIS)
UNSAFE = LAST_DOSE + timedelta(hours=60)  # Wednesday 11 March, 12:00
SAFE_FROM = LAST_DOSE + timedelta(hours=72)  # Thursday 12 March, 00:00
BOOKED_AT = datetime(2026, 3, 13, 10, 0, tzinfo=PARIS)  # her current, safe appointment
# The refusal names the earliest safe time, in French.
REFUSAL = "pas de geste avant le jeudi 12 mars 2026 à 00h00"


@pytest.fixture
def setting(frozen, radiologist):  # type: ignore[no-untyped-def]  # noqa: F811
    return build_centre(radiologist)


def _on_apixaban(patient, *, state=RequestState.VALIDATED) -> ProcedureRequest:  # type: ignore[no-untyped-def]
    req = ProcedureRequest.objects.create(
        patient=patient,
        procedure=Procedure.objects.get(code=EPIDURAL),
        state=state,
        validated_at=NOW - timedelta(days=1),
    )
    declare(patient, NOW - timedelta(hours=1), request=req, meds=[("Eliquis", LAST_DOSE, "")])
    return req


def _booked(req: ProcedureRequest, c: Centre) -> Appointment:
    """Her procedure, booked at a safe time (written directly: the starting point)."""
    req.state = RequestState.PROCEDURE_BOOKED
    req.save(update_fields=["state"])
    return Appointment.objects.create(
        patient=req.patient,
        request=req,
        kind=AppointmentKind.PROCEDURE,
        procedure=req.procedure,
        room=c.room1,
        radiologist=c.radio,
        start=BOOKED_AT,
        end=BOOKED_AT + timedelta(minutes=30),
    )


def _unchanged(appointment: Appointment) -> None:
    appointment.refresh_from_db()
    assert appointment.start == BOOKED_AT and appointment.status == AppointmentStatus.BOOKED
    assert Appointment.objects.filter(patient=appointment.patient).count() == 1


def _slot(c: Centre) -> str:
    return slot_value(UNSAFE, c.room1.pk, c.radio.pk)


def test_the_unsafe_time_is_free_in_the_calendar(setting, alice):  # type: ignore[no-untyped-def]
    """The premise of every test below: only the clinical guard stands in the way."""
    bare = ProcedureRequest.objects.create(
        patient=alice,
        procedure=Procedure.objects.get(code=EPIDURAL),
        state=RequestState.VALIDATED,
        validated_at=NOW,
    )
    options = booking.earliest_slots(
        procedure=bare.procedure,
        patient=alice,
        kind=AppointmentKind.PROCEDURE,
        request=bare,
        not_before=UNSAFE,
        limit=1,
    )
    assert options[0].start == UNSAFE


def test_slot_lists_offer_only_safe_times(setting, alice):  # type: ignore[no-untyped-def]
    req = _on_apixaban(alice)
    options = booking.earliest_slots(
        procedure=req.procedure, patient=alice, kind=AppointmentKind.PROCEDURE, request=req
    )
    assert options and options[0].start >= SAFE_FROM
    assert all(o.start >= SAFE_FROM for o in options)


def test_patient_move_is_refused(setting, alice):  # type: ignore[no-untyped-def]
    appointment = _booked(_on_apixaban(alice), setting)
    url = reverse("portal:my_move", args=[appointment.pk])
    page = client_for(alice.user).post(url, {"slot": _slot(setting)}).content.decode()
    assert REFUSAL in page
    _unchanged(appointment)


def test_reception_booking_is_refused(setting, alice, receptionist):  # type: ignore[no-untyped-def]
    req = _on_apixaban(alice)
    query = f"?patient={alice.pk}&procedure={EPIDURAL}&kind=procedure"
    page = client_for(receptionist).post(
        reverse("staff:staff_book") + query, {"slot": _slot(setting)}
    )
    assert REFUSAL in page.content.decode()
    assert not Appointment.objects.filter(patient=alice).exists()
    req.refresh_from_db()
    assert req.state == RequestState.VALIDATED


def test_reception_move_is_refused(setting, alice, receptionist):  # type: ignore[no-untyped-def]
    appointment = _booked(_on_apixaban(alice), setting)
    local = UNSAFE.astimezone(PARIS)
    page = client_for(receptionist).post(
        reverse("staff:staff_move", args=[appointment.pk]),
        {
            "day": local.date().isoformat(),
            "time": local.strftime("%H:%M"),
            "room": setting.room1.pk,
            "radiologist": setting.radio.pk,
            "reason": "demande du patient",
        },
    )
    assert REFUSAL in page.content.decode()
    _unchanged(appointment)


def test_staff_procedure_book_is_refused(setting, alice, radiologist):  # type: ignore[no-untyped-def]
    req = _on_apixaban(alice)
    page = client_for(radiologist).post(
        reverse("staff:procedure_book", args=[req.pk]), {"slot": _slot(setting)}, follow=True
    )
    assert REFUSAL in page.content.decode()
    assert not Appointment.objects.filter(patient=alice).exists()
    req.refresh_from_db()
    assert req.state == RequestState.VALIDATED


def test_waitlist_offers_no_unsafe_time(setting, alice):  # type: ignore[no-untyped-def]
    req = _on_apixaban(alice)
    _booked(req, setting)
    waitlist_join(request=req, actor=alice.user)
    end = UNSAFE + timedelta(hours=2)
    made = offer_next(start=UNSAFE, end=end, room=setting.room1, radiologist_id=setting.radio.pk)
    assert made == 0 and not WaitlistOffer.objects.exists()
    # The same freed time after the hold is offered to her: the list itself works.
    safe = datetime(2026, 3, 12, 10, 0, tzinfo=PARIS)
    assert offer_next(
        start=safe,
        end=safe + timedelta(hours=2),
        room=setting.room1,
        radiologist_id=setting.radio.pk,
    )
    assert WaitlistOffer.objects.get().start == safe


def test_waitlist_acceptance_is_refused(setting, alice):  # type: ignore[no-untyped-def]
    """An offer made before she declared apixaban: accepting it now is refused."""
    req = _on_apixaban(alice)
    appointment = _booked(req, setting)
    entry = waitlist_join(request=req, actor=alice.user)
    offer = WaitlistOffer.objects.create(
        entry=entry,
        start=UNSAFE,
        end=UNSAFE + timedelta(minutes=30),
        room=setting.room1,
        radiologist=setting.radio,
        expires_at=NOW + timedelta(hours=12),
    )
    with pytest.raises(BookingError, match=REFUSAL):
        offer_accept(offer=offer, actor=alice.user)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING and offer.appointment is None
    _unchanged(appointment)
    # Through the patient's page: the same refusal, shown to her.
    page = client_for(alice.user).post(
        reverse("portal:my_offer", args=[offer.pk]), {"answer": "accept"}, follow=True
    )
    assert REFUSAL in page.content.decode()
    _unchanged(appointment)


def _plan_item(req: ProcedureRequest, c: Centre, radiologist) -> RecoveryItem:  # type: ignore[no-untyped-def]
    crisis = CrisisPeriod.objects.create(
        policy_id="test",
        policy_version="2.0.0",
        active=False,
        started_by=radiologist,
        ended_at=NOW,
        ended_by=radiologist,
    )
    plan = RecoveryPlan.objects.create(
        crisis=crisis,
        status=PlanStatus.PROPOSED,
        horizon_start=UNSAFE.date(),
        horizon_end=UNSAFE.date() + timedelta(days=14),
    )
    return RecoveryItem.objects.create(
        plan=plan,
        request=req,
        kind=AppointmentKind.PROCEDURE,
        duration_min=30,
        priority_weight=10,
        requested_on=NOW.date(),
        earliest=UNSAFE.date(),
        day=UNSAFE.date(),
        room=c.room1,
        radiologist=c.radio,
    )


def test_recovery_plan_acceptance_is_refused(setting, alice, radiologist, monkeypatch):  # type: ignore[no-untyped-def]
    from geste.crisis import recovery_actions

    req = _on_apixaban(alice, state=RequestState.DEFERRED)
    item = _plan_item(req, setting, radiologist)
    # A list that does not know the hold (computed before the questionnaire changed): the
    # booking itself must still refuse the time.
    stale = SlotOption(UNSAFE, UNSAFE + timedelta(minutes=30), setting.room1, setting.radio)
    monkeypatch.setattr(recovery_actions, "earliest_slots", lambda **kw: [stale])
    result = recovery_actions.plan_accept(plan=item.plan, actor=radiologist)
    assert result.booked == 0
    assert [i for i, _why in result.failed] == [item.pk]
    assert REFUSAL in result.failed[0][1]
    assert not Appointment.objects.filter(patient=alice).exists()
    req.refresh_from_db()
    assert req.state == RequestState.DEFERRED


def test_recovery_plan_lists_no_unsafe_time_that_day(setting, alice, radiologist):  # type: ignore[no-untyped-def]
    from geste.crisis.recovery_actions import plan_accept

    req = _on_apixaban(alice, state=RequestState.DEFERRED)
    item = _plan_item(req, setting, radiologist)
    result = plan_accept(plan=item.plan, actor=radiologist)
    assert result.booked == 0 and [i for i, _why in result.failed] == [item.pk]
    assert not Appointment.objects.filter(patient=alice).exists()


def test_api_booking_is_refused(setting, alice, receptionist):  # type: ignore[no-untyped-def]
    req = _on_apixaban(alice)
    _, raw = ApiToken.issue(receptionist)
    body = {
        "patient": alice.pk,
        "kind": "procedure",
        "procedure": EPIDURAL,
        "start": UNSAFE.isoformat(),
        "room": setting.room1.pk,
        "radiologist": setting.radio.pk,
    }
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        "/api/v1/appointments", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    assert REFUSAL in response.json()["detail"]
    assert not Appointment.objects.filter(patient=alice).exists()
    req.refresh_from_db()
    assert req.state == RequestState.VALIDATED


def test_fhir_book_is_refused(setting, alice, receptionist):  # type: ignore[no-untyped-def]
    req = _on_apixaban(alice)
    _, raw = ApiToken.issue(receptionist)
    key = SlotKey(
        AppointmentKind.PROCEDURE, req.procedure.pk, setting.room1.pk, setting.radio.pk, UNSAFE
    )
    appointment = {
        "resourceType": "Appointment",
        "status": "proposed",
        "start": UNSAFE.isoformat(),
        "end": (UNSAFE + timedelta(minutes=30)).isoformat(),
        "slot": [{"reference": f"Slot/{key.id}"}],
        "participant": [{"actor": {"reference": f"Patient/{alice.pk}"}, "status": "needs-action"}],
        "identifier": [{"system": "urn:test:booking", "value": "guard-1"}],
    }
    params = {
        "resourceType": "Parameters",
        "parameter": [{"name": "appt-resource", "resource": appointment}],
    }
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_ACCEPT="application/fhir+json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    response = client.post(
        "/fhir/R4/Appointment/$book", json.dumps(params), content_type="application/fhir+json"
    )
    assert response.status_code == 422, response.content
    outcome = response.json()
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "booking_refused"
    assert REFUSAL in outcome["issue"][0]["details"]["text"]
    assert not Appointment.objects.filter(patient=alice).exists()
    req.refresh_from_db()
    assert req.state == RequestState.VALIDATED
