"""Demo bookings are linked to requests in the states they imply."""

from __future__ import annotations

import io

import pytest

from geste.demo import load_demo
from geste.pathway.models import ProcedureRequest, RequestState
from geste.scheduling.models import Appointment, AppointmentKind, AppointmentStatus

pytestmark = pytest.mark.django_db


def test_demo_appointments_have_coherent_requests():
    load_demo(patients=160, progress=io.StringIO())
    expected = {
        (AppointmentKind.CONSULTATION, AppointmentStatus.BOOKED): {
            RequestState.CONSULTATION_BOOKED
        },
        (AppointmentKind.CONSULTATION, AppointmentStatus.DONE): {RequestState.CONSULTATION_DONE},
        (AppointmentKind.PROCEDURE, AppointmentStatus.BOOKED): {RequestState.PROCEDURE_BOOKED},
    }
    seen: set[tuple[str, str]] = set()
    demo = Appointment.objects.exclude(request__referring_physician="Dr Paul Mercier")
    for appt in demo.select_related("request"):
        key = (appt.kind, appt.status)
        if appt.kind == AppointmentKind.PROCEDURE and appt.status != AppointmentStatus.BOOKED:
            assert appt.request is None  # past procedures: no pathway record to invent
            continue
        assert appt.request is not None, key
        assert appt.request.patient_id == appt.patient_id
        assert appt.request.procedure_id == appt.procedure_id
        if key in expected:
            assert appt.request.state in expected[key], key
            seen.add(key)
        else:  # a missed or cancelled consultation: the request is still to book
            assert appt.request.state == RequestState.REQUESTED
        if appt.request.state == RequestState.PROCEDURE_BOOKED:
            assert appt.request.indication_validated
            assert appt.request.transitions.filter(to_state=RequestState.PROCEDURE_BOOKED)
    assert seen == set(expected)
    # The pathway demo's own requests keep only their own appointments.
    pathway = ProcedureRequest.objects.filter(referring_physician="Dr Paul Mercier")
    assert pathway.exists()
    assert not demo.filter(request__in=pathway).exists()
