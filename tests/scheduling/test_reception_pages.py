"""Reception: book a new appointment for a patient (override for radiologist/admin only) and
the staff waiting list (reorder with a logged reason)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from geste.audit.models import AuditEvent
from geste.pathway.booking import appointment_book
from geste.pathway.models import ProcedureRequest, RequestState
from geste.pathway.waitlist import waitlist_join
from geste.scheduling.forms import slot_value
from geste.scheduling.models import Appointment, WaitlistEntry
from tests.conftest import client_for
from tests.factories import make_patient
from tests.scheduling.conftest import at, proc, validated_request

pytestmark = pytest.mark.django_db
URL = "/equipe/planning/nouveau/"


def test_url_name():
    assert reverse("staff:staff_book") == URL
    assert reverse("staff:waitlist") == "/equipe/liste-d-attente/"


def test_roles(centre, technologist, alice_client):
    assert client_for(technologist).get(URL).status_code == 403
    assert alice_client.get(URL).status_code == 403
    assert alice_client.get(reverse("staff:waitlist")).status_code == 403


def test_search_patient_then_pick_a_slot_and_book(centre, alice, receptionist):
    client = client_for(receptionist)
    found = client.get(URL, {"q": "alice"})
    assert found.status_code == 200
    assert f"?patient={alice.pk}" in found.content.decode()
    params = {"patient": alice.pk, "procedure": "facet_infiltration", "kind": "consultation"}
    page = client.get(URL, params)
    content = page.content.decode()
    first = slot_value(at("2026-03-09", "08:00"), centre.room1.pk, centre.radio.pk)
    assert first in content
    assert "Forcer" not in content  # reception cannot override
    assert "csrfmiddlewaretoken" not in content.split('method="post"')[0]  # not in GET forms
    response = client.post(
        f"{URL}?patient={alice.pk}&procedure=facet_infiltration&kind=consultation",
        {"slot": first},
    )
    assert response.status_code == 302
    appt = Appointment.objects.get(patient=alice)
    assert appt.start == at("2026-03-09", "08:00") and appt.kind == "consultation"
    assert appt.request.state == RequestState.CONSULTATION_BOOKED
    assert appt.booked_by == receptionist


def test_chosen_date_moves_the_first_options(centre, alice, receptionist):
    page = client_for(receptionist).get(
        URL,
        {
            "patient": alice.pk,
            "procedure": "facet_infiltration",
            "kind": "consultation",
            "after": "2026-03-12",
        },
    )
    content = page.content.decode()
    assert slot_value(at("2026-03-12", "08:00"), centre.room1.pk, centre.radio.pk) in content
    assert slot_value(at("2026-03-09", "08:00"), centre.room1.pk, centre.radio.pk) not in content


def test_procedure_books_the_validated_request(centre, alice, receptionist):
    request = validated_request(alice, "facet_infiltration")
    query = f"?patient={alice.pk}&procedure=facet_infiltration&kind=procedure&after=2026-03-10"
    value = slot_value(at("2026-03-10", "10:00"), centre.room1.pk, centre.radio.pk)
    assert value in client_for(receptionist).get(URL + query).content.decode()
    response = client_for(receptionist).post(URL + query, {"slot": value})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == RequestState.PROCEDURE_BOOKED


def test_taken_slot_shows_an_error_next_to_the_choices(centre, alice, bob, receptionist):
    value = slot_value(at("2026-03-10", "09:00"), centre.room1.pk, centre.radio.pk)
    appointment_book(
        patient=bob,
        kind="consultation",
        procedure=proc("facet_infiltration"),
        start=at("2026-03-10", "09:00"),
        room=centre.room1,
        radiologist=centre.radio,
        actor=receptionist,
    )
    query = f"?patient={alice.pk}&procedure=facet_infiltration&kind=consultation"
    response = client_for(receptionist).post(URL + query, {"slot": value})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not Appointment.objects.filter(patient=alice).exists()
    assert not ProcedureRequest.objects.filter(patient=alice).exists()  # rolled back with it


def _override(client, centre, patient, reason):  # type: ignore[no-untyped-def]
    query = f"?patient={patient.pk}&procedure=facet_infiltration&kind=consultation"
    return client.post(
        URL + query,
        {
            "action": "override",
            "force-day": "2026-03-10",
            "force-time": "09:00",
            "force-room": centre.room1.pk,
            "force-radiologist": centre.radio.pk,
            "force-reason": reason,
        },
    )


def test_override_over_an_appointment_by_the_radiologist(centre, alice, bob, receptionist):
    appointment_book(
        patient=bob,
        kind="consultation",
        procedure=proc("facet_infiltration"),
        start=at("2026-03-10", "09:00"),
        room=centre.room1,
        radiologist=centre.radio,
        actor=receptionist,
    )
    client = client_for(centre.radio)
    page = client.get(
        URL, {"patient": alice.pk, "procedure": "facet_infiltration", "kind": "consultation"}
    )
    assert "Forcer le rendez-vous" in page.content.decode()
    missing = _override(client, centre, alice, "")
    assert missing.status_code == 200 and not Appointment.objects.filter(patient=alice).exists()
    response = _override(client, centre, alice, "urgence, vu avec le patient")
    assert response.status_code == 302
    forced = Appointment.objects.get(patient=alice)
    assert forced.override_reason == "urgence, vu avec le patient"
    assert AuditEvent.objects.filter(action="appointment.overridden", object_id=str(forced.pk))


def test_reception_cannot_override_even_by_posting(centre, alice, receptionist):
    response = _override(client_for(receptionist), centre, alice, "je force")
    assert response.status_code == 404
    assert not Appointment.objects.exists()


# --- waiting list ---------------------------------------------------------------------------


def test_waitlist_lists_in_offer_order_and_reorders_with_reason(
    centre, alice, bob, receptionist, frozen
):
    carol = make_patient("Carole", "Petit")
    first = waitlist_join(request=validated_request(alice), actor=receptionist)
    frozen.shift(3600 * 24 * 3)
    urgent = waitlist_join(
        request=validated_request(carol, threatening_lesion=True), actor=receptionist
    )
    later = waitlist_join(request=validated_request(bob), actor=receptionist)
    client = client_for(receptionist)
    url = reverse("staff:waitlist")
    content = client.get(url).content.decode()
    # Urgent first (priority 10), then Alice who waits since 3 days, then Bob.
    order = [content.index(f'id="entry-{e.pk}"') for e in (urgent, first, later)]
    assert order == sorted(order)
    assert "3 jours" in content
    refused = client.post(url, {"entry": later.pk, f"e{later.pk}-priority": 5})
    assert refused.status_code == 200 and 'role="alert"' in refused.content.decode()
    assert WaitlistEntry.objects.get(pk=later.pk).priority == 100
    done = client.post(
        url,
        {"entry": later.pk, f"e{later.pk}-priority": 5, f"e{later.pk}-reason": "aggravation"},
    )
    assert done.status_code == 302
    later.refresh_from_db()
    assert later.priority == 5 and later.reorder_reason == "aggravation"
    event = AuditEvent.objects.get(action="waitlist.reordered")
    assert event.details == {"from": 100, "to": 5}
    content = client.get(url).content.decode()
    assert content.index(f'id="entry-{later.pk}"') < content.index(f'id="entry-{urgent.pk}"')


def test_waitlist_query_count_is_flat(centre, receptionist, django_assert_max_num_queries):
    for i in range(6):
        patient = make_patient(f"P{i}", "Attente")
        waitlist_join(request=validated_request(patient), actor=receptionist)
    client = client_for(receptionist)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("staff:waitlist")).status_code == 200
