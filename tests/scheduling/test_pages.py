"""Booking pages: public booking with account creation, mes rendez-vous, planner, agenda."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from geste.clinic.models import Role, User
from geste.pathway.booking import appointment_book
from geste.pathway.models import ProcedureRequest, RequestState
from geste.patients.models import Patient
from geste.scheduling.forms import slot_value
from geste.scheduling.models import Appointment, AppointmentStatus
from tests.conftest import client_for
from tests.scheduling.conftest import at, proc

pytestmark = pytest.mark.django_db


def slot(centre, hhmm="09:00", day="2026-03-10"):  # type: ignore[no-untyped-def]
    return slot_value(at(day, hhmm), centre.room1.pk, centre.radio.pk)


SIGNUP = {
    "last_name": "Martin",
    "first_names": "Paul",
    "birth_date": "1961-05-02",
    "sex": "M",
    "phone": "06 11 22 33 44",
    "email": "paul.martin@example.org",
    "password1": "une-phrase-secrete-42",
    "password2": "une-phrase-secrete-42",
}


def test_book_start_lists_plain_labels(centre):
    response = Client().get(reverse("portal:book"))
    assert response.status_code == 200
    assert 'value="facet_infiltration"' in response.content.decode()
    assert 'value="foraminal_infiltration"' not in response.content.decode()  # not performed


def test_new_patient_books_and_gets_an_account(centre):
    client = Client()
    url = reverse("portal:book_slot", args=["facet_infiltration"])
    page = client.get(url)
    assert page.status_code == 200
    assert slot(centre, "08:00", "2026-03-09") in page.content.decode()
    response = client.post(url, {**SIGNUP, "slot": slot(centre)})
    # the same "check your e-mail" page as for a known address (tests/portal/test_signup.py)
    assert response.status_code == 200, response.content.decode()
    assert "Consultez votre messagerie" in response.content.decode()
    user = User.objects.get(username="paul.martin@example.org")
    assert user.role == Role.PATIENT and user.check_password(SIGNUP["password1"])
    patient = Patient.objects.get(user=user)
    request = ProcedureRequest.objects.get(patient=patient)
    assert request.state == RequestState.CONSULTATION_BOOKED
    appt = Appointment.objects.get(patient=patient)
    assert appt.kind == "consultation" and appt.request == request
    # Not logged in by the sign-up (that would tell a new address from a known one).
    client.force_login(user)
    assert "mardi 10 mars 2026" in client.get(reverse("portal:my_appointments")).content.decode()


def test_bad_signup_books_nothing_and_names_the_field(centre):
    url = reverse("portal:book_slot", args=["facet_infiltration"])
    response = Client().post(url, {**SIGNUP, "password2": "autre", "slot": slot(centre)})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not User.objects.filter(username="paul.martin@example.org").exists()
    assert Appointment.objects.count() == 0


def test_taken_slot_rolls_back_the_account(centre, bob, receptionist):
    appointment_book(
        patient=bob,
        kind="consultation",
        procedure=proc("facet_infiltration"),
        start=at("2026-03-10", "09:00"),
        room=centre.room1,
        radiologist=centre.radio,
        actor=receptionist,
    )
    url = reverse("portal:book_slot", args=["facet_infiltration"])
    response = Client().post(url, {**SIGNUP, "slot": slot(centre)})
    assert response.status_code == 200
    assert "pris" in response.content.decode()
    assert not User.objects.filter(username="paul.martin@example.org").exists()


def test_logged_in_patient_books_without_signup(centre, alice, alice_client):
    url = reverse("portal:book_slot", args=["facet_infiltration"])
    assert "password1" not in alice_client.get(url).content.decode()
    response = alice_client.post(url, {"slot": slot(centre), "video": "on"})
    assert response.status_code == 302
    appt = Appointment.objects.get(patient=alice)
    assert appt.video


def test_staff_cannot_use_the_public_booking(centre, receptionist):
    assert client_for(receptionist).get(reverse("portal:book")).status_code == 403


def _booked(centre, patient, actor, hhmm="09:00", day="2026-03-10"):  # type: ignore[no-untyped-def]
    return appointment_book(
        patient=patient,
        kind="consultation",
        procedure=proc("facet_infiltration"),
        start=at(day, hhmm),
        room=centre.room1,
        radiologist=centre.radio,
        actor=actor,
    )


def test_patient_moves_and_cancels_with_the_cutoff(centre, alice, alice_client, frozen):
    appt = _booked(centre, alice, alice.user, day="2026-03-12")
    move_url = reverse("portal:my_move", args=[appt.pk])
    page = alice_client.get(move_url)
    assert page.status_code == 200
    response = alice_client.post(move_url, {"slot": slot(centre, "10:00", "2026-03-12")})
    assert response.status_code == 302
    appt.refresh_from_db()
    assert appt.start == at("2026-03-12", "10:00")
    # Less than 24 h before: no more changes online.
    frozen.move_to(at("2026-03-11", "11:00"))
    alice_client.force_login(alice.user)  # the session (8 h) expired while time moved
    listing = alice_client.get(reverse("portal:my_appointments")).content.decode()
    assert "appelez le secrétariat" in listing
    cancel_url = reverse("portal:my_cancel", args=[appt.pk])
    assert alice_client.post(cancel_url, {"reason": "x"}).status_code == 302
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.BOOKED
    frozen.move_to(at("2026-03-10", "09:00"))
    alice_client.force_login(alice.user)
    assert alice_client.post(cancel_url, {"reason": ""}).status_code == 200
    alice_client.post(cancel_url, {"reason": "empêchement"})
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.CANCELLED


def test_other_patients_appointment_is_404(centre, alice, bob_client, receptionist):
    appt = _booked(centre, alice, receptionist)
    for name in ("my_move", "my_cancel", "my_ics"):
        assert bob_client.get(reverse(f"portal:{name}", args=[appt.pk])).status_code == 404


def test_ics_has_time_and_place_only(centre, alice, alice_client, receptionist):
    appt = _booked(centre, alice, receptionist)
    body = alice_client.get(reverse("portal:my_ics", args=[appt.pk])).content.decode()
    assert "DTSTART" in body and "Centre test" in body
    assert "facet" not in body.lower() and "infiltration" not in body.lower()


def test_planner_by_role_and_htmx(centre, alice, receptionist, technologist, alice_client):
    _booked(centre, alice, receptionist)
    url = reverse("staff:planner") + "?jour=2026-03-10"
    assert alice_client.get(url).status_code == 403
    assert client_for(technologist).get(url).status_code == 403
    client = client_for(receptionist)
    page = client.get(url).content.decode()
    assert "MOREAU Alice" in page and "<html" in page
    partial = client.get(url + "&vue=semaine", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "MOREAU Alice" in partial


def test_planner_query_count_is_flat(centre, receptionist, django_assert_max_num_queries):
    from tests.factories import make_patient

    client = client_for(receptionist)
    url = reverse("staff:planner") + "?jour=2026-03-10&vue=semaine"
    _booked(centre, make_patient("P0", "N0"), receptionist, hhmm="8:00")
    client.get(url)  # the session's first request writes it: measure the next ones
    with django_assert_max_num_queries(12) as one:
        client.get(url)
    for i in range(1, 9):
        _booked(centre, make_patient(f"P{i}", f"N{i}"), receptionist, hhmm=f"{8 + i}:00")
    with django_assert_max_num_queries(12) as nine:
        client.get(url)
    assert len(nine.captured_queries) == len(one.captured_queries)


def test_reception_moves_an_appointment(centre, alice, receptionist):
    appt = _booked(centre, alice, receptionist)
    client = client_for(receptionist)
    url = reverse("staff:staff_move", args=[appt.pk])
    response = client.post(
        url,
        {
            "day": "2026-03-11",
            "time": "14:00",
            "room": centre.room2.pk,
            "radiologist": centre.radio.pk,
            "reason": "demande du patient",
        },
    )
    assert response.status_code == 302
    appt.refresh_from_db()
    assert appt.start == at("2026-03-11", "14:00") and appt.room == centre.room2
    closed = client.post(
        url,
        {
            "day": "2026-03-14",
            "time": "14:00",
            "room": centre.room2.pk,
            "radiologist": centre.radio.pk,
        },
    )
    assert "fermée" in closed.content.decode()


def test_agenda_shows_own_appointments_only(centre, alice, receptionist, radiologist):
    _booked(centre, alice, receptionist)
    page = client_for(radiologist).get(reverse("staff:agenda") + "?jour=2026-03-10")
    assert "MOREAU Alice" in page.content.decode()
    assert client_for(receptionist).get(reverse("staff:agenda")).status_code == 403


def test_no_mail_at_booking(centre, alice, receptionist):
    _booked(centre, alice, receptionist)
    assert mail.outbox == []
