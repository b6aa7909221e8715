"""A FHIR hold ($hold) keeps its slot from every other booking path, not only other FHIR clients
(issue 14: "a short, expiring hold that blocks the slot for others"): the reception's booking
page, the JSON API and the pathway's earliest slots, until it expires; its holder's $book goes
through and spends it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from geste.api.fhir.mappers.scheduling import SlotKey
from geste.api.models import ApiToken
from geste.clinic.models import Procedure
from geste.pathway.booking import earliest_slots
from geste.scheduling.forms import slot_value
from geste.scheduling.models import Appointment, HoldStatus, SlotHold
from tests.api.fhir.test_scheduling import FACET, _entries, _params
from tests.conftest import client_for
from tests.scheduling.conftest import validated_request

pytestmark = pytest.mark.django_db
HELD = "Ce créneau est retenu pour un autre patient"


@pytest.fixture
def held(reception, centre, alice, bob):  # type: ignore[no-untyped-def]
    """Alice's first proposed procedure slot, held by the reception's FHIR client; Bob has a
    validated request for the same act, so without the hold his first slot would be this one."""
    validated_request(alice, FACET)
    validated_request(bob, FACET)
    first = _entries(
        reception.get("Appointment/$find", {"service-type": FACET, "patient": alice.pk})
    )[0]
    response = reception.post("Appointment/$hold", _params(first))
    assert response.status_code == 200, response.json()
    key = SlotKey.parse(first["slot"][0]["reference"].split("/")[1])
    assert key is not None
    return {"proposed": first, "hold": response.json(), "key": key}


def _bob_starts(bob: Any) -> list[Any]:
    options = earliest_slots(
        procedure=Procedure.objects.get(code=FACET), patient=bob, kind="procedure", limit=5
    )
    return [(o.start, o.room.pk, o.radiologist.pk) for o in options]


def _page(bob: Any) -> str:
    query = f"?patient={bob.pk}&procedure={FACET}&kind=procedure"
    return reverse("staff:staff_book") + query


def test_the_booking_page_neither_offers_nor_books_a_held_slot(
    held, reception, receptionist, alice, bob
):  # type: ignore[no-untyped-def]
    key = held["key"]
    value = slot_value(key.start, key.room_id, key.radiologist_id)
    page = client_for(receptionist)
    assert value not in page.get(_page(bob)).content.decode()
    response = page.post(_page(bob), {"slot": value})
    assert response.status_code == 200
    assert HELD in response.content.decode()
    assert not Appointment.objects.filter(patient=bob).exists()
    # the holder's $book goes through, and spends the hold
    booked = reception.post("Appointment/$book", _params(held["hold"], "hub-1"))
    assert booked.status_code == 201, booked.json()
    assert Appointment.objects.get(patient=alice).start == key.start
    assert SlotHold.objects.get().status == HoldStatus.BOOKED


def test_the_json_api_refuses_a_held_slot_with_409(held, reception, receptionist, bob):  # type: ignore[no-untyped-def]
    key = held["key"]
    _, raw = ApiToken.issue(receptionist)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        "/api/v1/appointments",
        json.dumps(
            {
                "patient": bob.pk,
                "kind": "procedure",
                "procedure": FACET,
                "start": key.start.isoformat(),
                "room": key.room_id,
                "radiologist": key.radiologist_id,
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 409, response.content
    assert HELD in response.json()["detail"]
    assert not Appointment.objects.filter(patient=bob).exists()
    booked = reception.post("Appointment/$book", _params(held["hold"], "hub-1"))
    assert booked.status_code == 201, booked.json()


def test_a_held_slot_is_offered_to_no_one_else_until_it_expires(held, receptionist, bob):  # type: ignore[no-untyped-def]
    key = held["key"]
    wanted = (key.start, key.room_id, key.radiologist_id)
    assert wanted not in _bob_starts(bob)
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert _bob_starts(bob)[0] == wanted
        # and the page books it for him
        value = slot_value(key.start, key.room_id, key.radiologist_id)
        response = client_for(receptionist).post(_page(bob), {"slot": value})
        assert response.status_code == 302
        assert Appointment.objects.get(patient=bob).start == key.start


def test_a_book_without_naming_the_hold_spends_it_too(held, reception, alice):  # type: ignore[no-untyped-def]
    """The holder books the proposed Appointment (not the hold): the hold is spent all the same,
    so it does not linger over the booked time."""
    booked = reception.post("Appointment/$book", _params(held["proposed"], "hub-2"))
    assert booked.status_code == 201, booked.json()
    assert SlotHold.objects.get().status == HoldStatus.BOOKED
    assert not SlotHold.objects.unexpired().exists()
