"""appointment_book / move / cancel / mark_no_show: the rules each one enforces."""

from __future__ import annotations

from datetime import timedelta

import pytest

from geste.audit.models import AuditEvent
from geste.pathway.booking import (
    appointment_book,
    appointment_cancel,
    appointment_mark_no_show,
    appointment_move,
)
from geste.pathway.models import ProcedureRequest, RequestState
from geste.patients.models import Declaration, MedicationDeclaration
from geste.scheduling.errors import BookingError, SlotTaken
from geste.scheduling.models import AppointmentStatus, Closure
from tests.factories import make_patient
from tests.scheduling.conftest import at, proc, validated_request

pytestmark = pytest.mark.django_db


def book(centre, patient, actor, *, kind="consultation", code="facet_infiltration", **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("start", at("2026-03-10", "09:00"))
    kw.setdefault("room", centre.room1)
    kw.setdefault("radiologist", centre.radio)
    return appointment_book(patient=patient, kind=kind, procedure=proc(code), actor=actor, **kw)


def test_consultation_booked_and_audited(centre, alice, receptionist):
    appt = book(centre, alice, receptionist)
    assert appt.end - appt.start == timedelta(minutes=20)
    assert appt.status == AppointmentStatus.BOOKED
    assert AuditEvent.objects.filter(action="appointment.booked", patient=alice).count() == 1


@pytest.mark.parametrize("who", ["room", "radiologist", "patient"])
def test_overlap_is_refused_for_room_radiologist_and_patient(centre, alice, bob, receptionist, who):
    book(centre, alice, receptionist)
    other = make_patient("Zoé", "Autre")
    second = {
        "room": {"patient": other, "room": centre.room1, "radiologist": None},
        "radiologist": {"patient": other, "room": centre.room2, "radiologist": centre.radio},
        "patient": {"patient": alice, "room": centre.room2, "radiologist": None},
    }[who]
    from geste.clinic.models import Role
    from tests.factories import make_user
    from tests.scheduling.conftest import roster_all_week, skill_all

    rad2 = make_user("radio2", Role.RADIOLOGIST)
    roster_all_week(rad2)
    skill_all(rad2)
    with pytest.raises(SlotTaken):
        book(
            centre,
            second["patient"],
            receptionist,
            start=at("2026-03-10", "09:10"),
            room=second["room"],
            radiologist=second["radiologist"] or rad2,
        )


def test_back_to_back_is_allowed(centre, alice, bob, receptionist):
    book(centre, alice, receptionist)
    appt = book(centre, bob, receptionist, start=at("2026-03-10", "09:20"))
    assert appt.pk


def test_closed_room_holiday_and_closure_are_refused(centre, alice, receptionist):
    with pytest.raises(BookingError, match="fermée"):
        book(centre, alice, receptionist, start=at("2026-03-10", "18:30"))
    with pytest.raises(BookingError, match="fermée"):  # Saturday
        book(centre, alice, receptionist, start=at("2026-03-14", "09:00"))
    with pytest.raises(BookingError, match="fermée"):  # Easter Monday
        book(centre, alice, receptionist, start=at("2026-04-06", "09:00"))
    Closure.objects.create(
        room=centre.room1,
        start=at("2026-03-11", "00:00"),
        end=at("2026-03-12", "00:00"),
        reason="maintenance",
    )
    with pytest.raises(BookingError, match="fermée"):
        book(centre, alice, receptionist, start=at("2026-03-11", "10:00"))
    assert book(centre, alice, receptionist, start=at("2026-03-11", "10:00"), room=centre.room2)


def test_radiologist_must_be_rostered_and_skilled(centre, alice, receptionist):
    from geste.clinic.models import Role
    from geste.scheduling.models import RadiologistSkill
    from tests.factories import make_user

    absent = make_user("absent", Role.RADIOLOGIST)
    with pytest.raises(BookingError, match="pas présent"):
        book(centre, alice, receptionist, radiologist=absent)
    validated_request(alice, "facet_infiltration")
    RadiologistSkill.objects.filter(
        radiologist=centre.radio, procedure__code="facet_infiltration"
    ).delete()
    with pytest.raises(BookingError, match="ne pratique pas"):
        book(centre, alice, receptionist, kind="procedure")


def test_room_modality_must_fit_the_procedure(centre, alice, receptionist):
    validated_request(alice, "facet_infiltration")
    with pytest.raises(BookingError, match="équipement"):
        book(centre, alice, receptionist, kind="procedure", room=centre.echo)


def test_procedure_needs_a_validated_indication_and_moves_the_request(centre, alice, receptionist):
    with pytest.raises(BookingError, match="consultation"):
        book(centre, alice, receptionist, kind="procedure")
    request = validated_request(alice, "facet_infiltration", region="lumbar")
    appt = book(centre, alice, receptionist, kind="procedure")
    assert appt.request == request
    request.refresh_from_db()
    assert request.state == RequestState.PROCEDURE_BOOKED
    appointment_cancel(appointment=appt, actor=receptionist, reason="empêchement")
    request.refresh_from_db()
    assert request.state == RequestState.VALIDATED


def test_high_bleeding_risk_leaves_time_for_the_blood_test(centre, alice, receptionist):
    validated_request(alice, "epidural_infiltration")
    with pytest.raises(BookingError, match="avant le"):
        book(centre, alice, receptionist, kind="procedure", code="epidural_infiltration")
    appt = book(
        centre,
        alice,
        receptionist,
        kind="procedure",
        code="epidural_infiltration",
        start=at("2026-03-11", "08:00"),
    )
    assert appt.pk


def test_anticoagulant_hold_from_the_rules_engine(centre, alice, receptionist):
    validated_request(alice, "epidural_infiltration")
    declaration = Declaration.objects.create(
        patient=alice,
        answered_at=at("2026-03-09", "06:00"),
        takes_anticoagulant=True,
        fever=False,
        current_infection=False,
        skin_lesion_at_site=False,
        creatinine_clearance_ml_min=90,
    )
    # Clopidogrel: 120 h after the last dose (SIR 2019) -> not before 14 March 06:00.
    MedicationDeclaration.objects.create(
        declaration=declaration, drug="clopidogrel", last_dose_at=at("2026-03-09", "06:00")
    )
    with pytest.raises(BookingError, match="avant le"):
        book(
            centre,
            alice,
            receptionist,
            kind="procedure",
            code="epidural_infiltration",
            start=at("2026-03-13", "09:00"),
        )
    assert book(
        centre,
        alice,
        receptionist,
        kind="procedure",
        code="epidural_infiltration",
        start=at("2026-03-16", "09:00"),
    )


def test_override_needs_a_radiologist_or_admin_and_a_reason(
    centre, alice, bob, receptionist, radiologist
):
    book(centre, alice, receptionist)
    with pytest.raises(BookingError, match="forcer"):
        book(centre, bob, receptionist, override_reason="urgence")
    forced = book(centre, bob, radiologist, override_reason="urgence vitale")
    assert forced.override_reason == "urgence vitale"
    assert AuditEvent.objects.filter(action="appointment.overridden").count() == 1


def test_past_slot_is_refused(centre, alice, receptionist):
    with pytest.raises(BookingError, match="passé"):
        book(centre, alice, receptionist, start=at("2026-03-06", "09:00"))


def test_cancel_needs_a_reason_and_frees_the_slot(centre, alice, bob, receptionist):
    appt = book(centre, alice, receptionist)
    with pytest.raises(BookingError, match="motif"):
        appointment_cancel(appointment=appt, actor=receptionist, reason=" ")
    appointment_cancel(appointment=appt, actor=receptionist, reason="empêchement")
    assert appt.status == AppointmentStatus.CANCELLED
    assert book(centre, bob, receptionist).pk


def test_consultation_moves_request_and_cancel_sends_it_back(centre, alice, receptionist):
    request = ProcedureRequest.objects.create(patient=alice, procedure=proc("facet_infiltration"))
    appt = book(centre, alice, receptionist, request=request)
    request.refresh_from_db()
    assert request.state == RequestState.CONSULTATION_BOOKED
    appointment_cancel(appointment=appt, actor=receptionist, reason="erreur")
    request.refresh_from_db()
    assert request.state == RequestState.REQUESTED


def test_move_checks_the_new_slot(centre, alice, bob, receptionist):
    first = book(centre, alice, receptionist)
    second = book(centre, bob, receptionist, start=at("2026-03-10", "10:00"))
    with pytest.raises(SlotTaken):
        appointment_move(appointment=second, start=at("2026-03-10", "09:00"), actor=receptionist)
    moved = appointment_move(appointment=first, start=at("2026-03-10", "11:00"), actor=receptionist)
    assert moved.start == at("2026-03-10", "11:00")
    assert moved.end == at("2026-03-10", "11:20")
    assert AuditEvent.objects.filter(action="appointment.moved").count() == 1


def test_no_show_only_after_the_start(centre, alice, receptionist, frozen):
    appt = book(centre, alice, receptionist)
    with pytest.raises(BookingError):
        appointment_mark_no_show(appointment=appt, actor=receptionist)
    frozen.move_to(at("2026-03-10", "09:30"))
    appointment_mark_no_show(appointment=appt, actor=receptionist)
    assert appt.status == AppointmentStatus.NO_SHOW
