"""During a crisis no time goes to a procedure the policy does not maintain (issue 11, point 9):
one gate (pathway.crisis_gate) on every path that offers, books or moves a procedure.

Alice's facet infiltration, all inputs answered "no", is one the COVID-19 policy defers; her
neighbour's intrathecal chemotherapy is maintained. A crisis is declared but nothing applied
yet (the what-if phase), so her request is still "validated": only the gate stands in the way.
The patient's own paths and the waiting list refuse it (tests fail without the gate); staff
paths let it through and leave an audit event (fail without the gate's record); after the
crisis, the recovery plan and her own booking work again.
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
from geste.audit.models import AuditEvent
from geste.crisis.models import PlanStatus, RecoveryItem, RecoveryPlan
from geste.crisis.recovery_actions import plan_accept
from geste.crisis.services import crisis_end, crisis_start, decision_confirm
from geste.crisis.whatif import run_create, run_execute
from geste.pathway import booking
from geste.pathway.crisis_gate import crisis_refusal
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
from tests.conftest import client_for
from tests.crisis import factories as f
from tests.factories import make_patient
from tests.scheduling.conftest import NOW, Centre, build_centre, frozen  # noqa: F401

pytestmark = pytest.mark.django_db

POLICY = "covid19-aphp-2020"
FREE = datetime(2026, 3, 13, 10, 0, tzinfo=PARIS)  # Friday, free in the calendar
BOOKED_AT = datetime(2026, 3, 20, 10, 0, tzinfo=PARIS)  # her current appointment
REFUSAL = "Le centre vous contactera"
OUTSIDE = "crisis.booked_outside_policy"


@pytest.fixture
def setting(frozen, radiologist):  # type: ignore[no-untyped-def]  # noqa: F811
    return build_centre(radiologist)


@pytest.fixture
def crisis(setting, radiologist):  # type: ignore[no-untyped-def]
    return crisis_start(policy_id=POLICY, actor=radiologist)


def _deferrable(patient) -> ProcedureRequest:  # type: ignore[no-untyped-def]
    return f.request("facet_infiltration", patient=patient)


def _maintained(patient=None) -> ProcedureRequest:  # type: ignore[no-untyped-def]
    return f.request("intrathecal_injection", patient=patient, intrathecal_chemotherapy=True)


def _booked(req: ProcedureRequest, c: Centre, start: datetime = BOOKED_AT) -> Appointment:
    return f.book_procedure(req, c.room1, c.radio, start)


def _slot(c: Centre, start: datetime = FREE) -> str:
    return slot_value(start, c.room1.pk, c.radio.pk)


def _unchanged(appointment: Appointment) -> None:
    appointment.refresh_from_db()
    assert appointment.start == BOOKED_AT and appointment.status == AppointmentStatus.BOOKED
    assert Appointment.objects.filter(patient=appointment.patient).count() == 1


def _outside_events(req: ProcedureRequest) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=OUTSIDE, object_id=str(req.pk)))


def _slots(req: ProcedureRequest, actor):  # type: ignore[no-untyped-def]
    return booking.earliest_slots(
        procedure=req.procedure,
        patient=req.patient,
        kind=AppointmentKind.PROCEDURE,
        request=req,
        actor=actor,
    )


# ------------------------------------------------------------------------ the rule itself


def test_the_rule_maintain_only_outside_a_crisis_everything(setting, alice, radiologist):  # type: ignore[no-untyped-def]
    deferred_kind = _deferrable(alice)
    kept = _maintained()
    unknown = f.request("intrathecal_injection", intrathecal_chemotherapy=None)  # to complete
    discuss = f.request("vertebroplasty_tumoral", severe_pain=True)  # clinicians not asked
    confirmed = f.request("vertebroplasty_tumoral", severe_pain=True, clinicians_confirmed=True)
    everyone = (deferred_kind, kept, unknown, discuss, confirmed)
    assert all(crisis_refusal(r, r.patient.user) == "" for r in everyone)  # no crisis
    crisis_start(policy_id=POLICY, actor=radiologist)
    refused = {r.pk for r in everyone if crisis_refusal(r, None)}
    assert refused == {deferred_kind.pk, unknown.pk, discuss.pk}
    # Staff are never refused by the gate.
    assert crisis_refusal(deferred_kind, radiologist) == ""


def test_outside_a_crisis_the_gate_costs_one_query(  # type: ignore[no-untyped-def]
    setting, alice, django_assert_num_queries
):
    req = _deferrable(alice)
    with django_assert_num_queries(1):
        assert crisis_refusal(req, alice.user) == ""


def test_a_clinicians_confirmed_maintain_lets_her_book(crisis, alice, radiologist):  # type: ignore[no-untyped-def]
    req = _deferrable(alice)
    assert crisis_refusal(req, alice.user)
    run = run_execute(run_create(policy_id=POLICY, actor=radiologist, enqueue=False).pk)
    decision = run.decisions.get(request=req)
    assert decision.proposed == "defer"
    decision_confirm(
        decision=decision, actor=radiologist, final="maintain", reason="douleur invalidante"
    )
    req.refresh_from_db()
    assert req.state == RequestState.VALIDATED
    assert crisis_refusal(req, alice.user) == ""
    assert _slots(req, alice.user)


# ------------------------------------------------------------------ the patient's own paths


def test_programmer_mon_geste_offers_nothing_and_refuses_a_forged_post(  # type: ignore[no-untyped-def]
    crisis, setting, alice, receptionist
):
    req = _deferrable(alice)
    assert _slots(req, receptionist)  # free times exist: only the gate hides them
    assert _slots(req, alice.user) == []
    url = reverse("portal:my_procedure", args=[req.pk])
    client = client_for(alice.user)
    page = client.get(url).content.decode()
    assert REFUSAL in page and 'name="slot"' not in page
    response = client.post(url, {"slot": _slot(setting)})
    assert response.status_code == 400 and REFUSAL in response.content.decode()
    assert not Appointment.objects.filter(patient=alice).exists()
    req.refresh_from_db()
    assert req.state == RequestState.VALIDATED
    # Her maintained request is offered times on the same page.
    other = _maintained(alice)
    page = client.get(reverse("portal:my_procedure", args=[other.pk])).content.decode()
    assert 'name="slot"' in page and REFUSAL not in page


def test_her_move_is_refused(crisis, setting, alice):  # type: ignore[no-untyped-def]
    appointment = _booked(_deferrable(alice), setting)
    url = reverse("portal:my_move", args=[appointment.pk])
    client = client_for(alice.user)
    page = client.get(url).content.decode()
    assert REFUSAL in page and 'name="slot"' not in page
    page = client.post(url, {"slot": _slot(setting)}).content.decode()
    assert REFUSAL in page
    _unchanged(appointment)


def test_no_waitlist_offer_to_a_deferred_category(crisis, setting, alice):  # type: ignore[no-untyped-def]
    req = _deferrable(alice)
    _booked(req, setting)
    waitlist_join(request=req, actor=alice.user)
    end = FREE + timedelta(hours=2)
    made = offer_next(start=FREE, end=end, room=setting.room1, radiologist_id=setting.radio.pk)
    assert made == 0 and not WaitlistOffer.objects.exists()
    # A maintained neighbour on the list gets it.
    kept = _maintained()
    _booked(kept, setting, BOOKED_AT + timedelta(hours=2))
    waitlist_join(request=kept, actor=None)
    assert offer_next(start=FREE, end=end, room=setting.room1, radiologist_id=setting.radio.pk)
    assert WaitlistOffer.objects.get().entry.request == kept


def test_accepting_an_offer_made_before_the_crisis_is_refused(  # type: ignore[no-untyped-def]
    setting, alice, radiologist
):
    req = _deferrable(alice)
    appointment = _booked(req, setting)
    entry = waitlist_join(request=req, actor=alice.user)
    offer = WaitlistOffer.objects.create(
        entry=entry,
        start=FREE,
        end=FREE + timedelta(minutes=30),
        room=setting.room1,
        radiologist=setting.radio,
        expires_at=NOW + timedelta(hours=12),
    )
    crisis_start(policy_id=POLICY, actor=radiologist)
    with pytest.raises(BookingError, match=REFUSAL):
        offer_accept(offer=offer, actor=alice.user)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING and offer.appointment is None
    page = client_for(alice.user).post(
        reverse("portal:my_offer", args=[offer.pk]), {"answer": "accept"}, follow=True
    )
    assert REFUSAL in page.content.decode()
    _unchanged(appointment)


def test_a_caller_that_does_not_say_who_books_is_refused(crisis, setting, alice):  # type: ignore[no-untyped-def]
    req = _deferrable(alice)
    with pytest.raises(BookingError, match=REFUSAL):
        booking.appointment_book(
            patient=alice,
            kind=AppointmentKind.PROCEDURE,
            procedure=req.procedure,
            start=FREE,
            room=setting.room1,
            radiologist=setting.radio,
            actor=None,
            request=req,
        )
    assert not Appointment.objects.filter(patient=alice).exists()


# ------------------------------------------------------------ staff: let through, recorded


def test_staff_request_page_books_it_recorded(crisis, setting, alice, radiologist):  # type: ignore[no-untyped-def]
    req = _deferrable(alice)
    client = client_for(radiologist)
    page = client.get(reverse("staff:request_detail", args=[req.pk])).content.decode()
    assert _slot(setting, _slots(req, radiologist)[0].start) in page
    client.post(reverse("staff:procedure_book", args=[req.pk]), {"slot": _slot(setting)})
    assert Appointment.objects.filter(request=req, start=FREE).exists()
    [event] = _outside_events(req)
    assert event.actor_id == radiologist.pk
    assert event.details["decision"] == "defer" and event.details["policy"] == POLICY


def test_reception_booking_page_books_it_recorded(crisis, setting, alice, receptionist):  # type: ignore[no-untyped-def]
    req = _deferrable(alice)
    query = f"?patient={alice.pk}&procedure=facet_infiltration&kind=procedure"
    client = client_for(receptionist)
    assert 'name="slot"' in client.get(reverse("staff:staff_book") + query).content.decode()
    client.post(reverse("staff:staff_book") + query, {"slot": _slot(setting)})
    assert Appointment.objects.filter(request=req, start=FREE).exists()
    assert len(_outside_events(req)) == 1


def test_planner_move_is_let_through_recorded(crisis, setting, alice, receptionist):  # type: ignore[no-untyped-def]
    req = _deferrable(alice)
    appointment = _booked(req, setting)
    local = FREE.astimezone(PARIS)
    client_for(receptionist).post(
        reverse("staff:staff_move", args=[appointment.pk]),
        {
            "day": local.date().isoformat(),
            "time": local.strftime("%H:%M"),
            "room": setting.room1.pk,
            "radiologist": setting.radio.pk,
            "reason": "appel du médecin adresseur",
        },
    )
    appointment.refresh_from_db()
    assert appointment.start == FREE
    assert len(_outside_events(req)) == 1


def _api(user):  # type: ignore[no-untyped-def]
    _, raw = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_api_slots_and_booking_let_staff_through_recorded(crisis, setting, alice, receptionist):  # type: ignore[no-untyped-def]
    req = _deferrable(alice)
    api = _api(receptionist)
    listed = api.get(
        "/api/v1/slots",
        {
            "procedure": "facet_infiltration",
            "kind": "procedure",
            "patient": alice.pk,
            "start": "2026-03-13",
            "end": "2026-03-13",
        },
    )
    assert listed.status_code == 200 and listed.json()
    body = {
        "patient": alice.pk,
        "kind": "procedure",
        "procedure": "facet_infiltration",
        "start": FREE.isoformat(),
        "room": setting.room1.pk,
        "radiologist": setting.radio.pk,
    }
    response = api.post("/api/v1/appointments", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    assert len(_outside_events(req)) == 1


def test_fhir_book_lets_staff_through_recorded(crisis, setting, alice, receptionist):  # type: ignore[no-untyped-def]
    req = _deferrable(alice)
    _, raw = ApiToken.issue(receptionist)
    key = SlotKey(
        AppointmentKind.PROCEDURE, req.procedure.pk, setting.room1.pk, setting.radio.pk, FREE
    )
    appointment = {
        "resourceType": "Appointment",
        "status": "proposed",
        "start": FREE.isoformat(),
        "end": (FREE + timedelta(minutes=30)).isoformat(),
        "slot": [{"reference": f"Slot/{key.id}"}],
        "participant": [{"actor": {"reference": f"Patient/{alice.pk}"}, "status": "needs-action"}],
        "basedOn": [{"reference": f"ServiceRequest/{req.pk}"}],
    }
    params = {
        "resourceType": "Parameters",
        "parameter": [{"name": "appt-resource", "resource": appointment}],
    }
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT="application/fhir+json")
    response = client.post(
        "/fhir/R4/Appointment/$book", json.dumps(params), content_type="application/fhir+json"
    )
    assert response.status_code == 201, response.content
    assert len(_outside_events(req)) == 1


# --------------------------------------------------------------------------- after the crisis


def test_after_the_crisis_the_recovery_plan_and_her_booking_work(  # type: ignore[no-untyped-def]
    crisis, setting, alice, radiologist
):
    deferred = f.request(
        "facet_infiltration",
        patient=make_patient("Rose", "Report"),
        state=RequestState.DEFERRED,
        validated_at=NOW - timedelta(days=3),
    )
    mine = _deferrable(alice)
    assert crisis_refusal(mine, alice.user)
    crisis_end(crisis=crisis, actor=radiologist)
    plan = RecoveryPlan.objects.create(
        crisis=crisis,
        status=PlanStatus.PROPOSED,
        horizon_start=FREE.date(),
        horizon_end=FREE.date() + timedelta(days=14),
    )
    RecoveryItem.objects.create(
        plan=plan,
        request=deferred,
        kind=AppointmentKind.PROCEDURE,
        duration_min=30,
        priority_weight=10,
        requested_on=NOW.date(),
        earliest=FREE.date(),
        day=FREE.date(),
        room=setting.room1,
        radiologist=setting.radio,
    )
    result = plan_accept(plan=plan, actor=radiologist)
    assert result.booked == 1 and result.failed == []
    assert crisis_refusal(mine, alice.user) == ""
    assert _slots(mine, alice.user)
