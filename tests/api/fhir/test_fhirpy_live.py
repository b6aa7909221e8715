"""Point 7: a real FHIR client (fhirpy, over HTTP) against a live server: metadata, free Slots,
$find, $hold, $book, the Appointment read back; a second client holding the same slot gets an
OperationOutcome. Every resource it receives goes through both validators."""

from __future__ import annotations

from typing import Any

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome

from geste.api.models import ApiToken
from tests.api.fhir.validators import TALLY, in_process_errors, resources_in
from tests.scheduling.conftest import build_centre, validated_request

FACET = "facet_infiltration"


def _params(appointment: dict[str, Any], ident: str | None = None) -> dict[str, Any]:
    if ident:
        appointment = {**appointment, "identifier": [{"system": "urn:hub:booking", "value": ident}]}
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": "appt-resource", "resource": appointment}],
    }


def test_a_scheduling_hub_books_through_fhirpy(  # type: ignore[no-untyped-def]
    reference_data, live_server, medplum, receptionist, radiologist, alice
):
    build_centre(radiologist)
    validated_request(alice, FACET)
    url = f"{live_server.url}/fhir/R4"
    hub = SyncFHIRClient(url, authorization=f"Bearer {ApiToken.issue(receptionist)[1]}")
    rival = SyncFHIRClient(url, authorization=f"Bearer {ApiToken.issue(radiologist)[1]}")
    received: list[dict[str, Any]] = []

    metadata = hub.execute("metadata", method="get")
    received.append(metadata)
    assert metadata["resourceType"] == "CapabilityStatement"

    slots = hub.resources("Slot").search(**{"service-type": FACET, "status": "free"}).limit(5)
    page = slots.fetch_raw()
    received.append(page.serialize() if hasattr(page, "serialize") else dict(page))
    assert len(page["entry"]) == 5 and all(e["resource"]["status"] == "free" for e in page["entry"])

    found = hub.execute(
        "Appointment/$find", method="get", params={"service-type": FACET, "patient": alice.pk}
    )
    received.append(found)
    proposal = found["entry"][0]["resource"]

    hold = hub.execute("Appointment/$hold", data=_params(proposal))
    received.append(hold)
    assert hold["status"] == "pending"

    with pytest.raises(OperationOutcome) as refused:
        rival.execute("Appointment/$hold", data=_params(proposal))
    outcome = refused.value.resource
    received.append(dict(outcome))
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "slot_held"

    booked = hub.execute("Appointment/$book", data=_params(hold, "hub-0001"))
    received.append(booked)
    back = hub.reference("Appointment", booked["id"]).to_resource()
    received.append(back.serialize())
    assert back["status"] == "booked" and back["start"] == proposal["start"]
    assert back["identifier"][0]["value"] == "hub-0001"

    for body in received:
        for resource in resources_in(body):
            assert not in_process_errors(resource), resource
            assert not medplum.errors(resource), resource
            TALLY.validated += 1
