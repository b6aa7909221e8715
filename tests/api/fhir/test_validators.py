"""Point 6: each validator can fail. Resources the API emitted, broken on purpose, must be
caught by the in-process validator (fhir.resources R4B + invariants) AND by Medplum."""

from __future__ import annotations

import copy

import pytest

from tests.api.fhir.validators import TALLY, in_process_errors

pytestmark = pytest.mark.django_db


def _both_catch(medplum, resource: dict) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def, type-arg]
    mine, theirs = in_process_errors(resource), medplum.errors(resource)
    assert mine, f"in-process validator missed {resource}"
    assert theirs, f"Medplum missed {resource}"
    TALLY.caught_on_purpose["in-process"] += 1
    TALLY.caught_on_purpose["medplum"] += 1
    return mine, theirs


def test_an_appointment_with_a_start_and_no_end(medplum, reception, centre, alice):  # type: ignore[no-untyped-def]
    from tests.scheduling.conftest import validated_request

    validated_request(alice)
    found = reception.get(
        "Appointment/$find", {"service-type": "facet_infiltration", "patient": alice.pk}
    ).json()
    emitted = found["entry"][0]["resource"]
    assert not in_process_errors(emitted) and not medplum.errors(emitted)  # valid as emitted
    broken = copy.deepcopy(emitted)
    del broken["end"]
    mine, theirs = _both_catch(medplum, broken)
    assert any("app-2" in e for e in mine)
    assert any("app-2" in e for e in theirs)


def test_a_patient_with_a_french_date(medplum, reception, alice):  # type: ignore[no-untyped-def]
    broken = reception.get(f"Patient/{alice.pk}").json()
    broken["birthDate"] = "14/07/1953"
    mine, _ = _both_catch(medplum, broken)
    assert any("fhir.resources" in e and "birthDate" in e for e in mine)


def test_a_slot_without_its_required_status(medplum, reception, centre):  # type: ignore[no-untyped-def]
    bundle = reception.get("Slot", {"service-type": "facet_infiltration", "_count": 1}).json()
    broken = copy.deepcopy(bundle["entry"][0]["resource"])
    del broken["status"]
    mine, _ = _both_catch(medplum, broken)
    assert any("status" in e for e in mine)


def test_an_observation_quantity_with_a_code_and_no_system(manip, alice):  # type: ignore[no-untyped-def]
    """Datatype invariant qty-3: our in-process check catches it (Medplum 5.2 does not
    evaluate datatype invariants: two validators, two different blind spots)."""
    from django.utils import timezone

    from geste.patients.models import LabResult

    lab = LabResult.objects.create(patient=alice, sampled_at=timezone.now(), inr=1.0)
    broken = manip.get(f"Observation/lab-{lab.pk}-inr").json()
    del broken["valueQuantity"]["system"]
    assert any("qty-3" in e for e in in_process_errors(broken))
    TALLY.caught_on_purpose["in-process"] += 1
