"""Shared pieces of the mappings: code systems, references, instants."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone

from geste import PARIS

# Our own code systems (URNs: stable, and they promise no web page).
PROCEDURE_SYSTEM = "urn:geste:procedure"
KIND_SYSTEM = "urn:geste:appointment-kind"
BOOKING_SYSTEM = "urn:geste:booking"
PATIENT_SYSTEM = "urn:geste:patient"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
# French national identifiers (FR Core).
INS_NIR_OID = "urn:oid:1.2.250.1.213.1.4.8"
IDNPS_OID = "urn:oid:1.2.250.1.71.4.2.1"  # RPPS-based national professional id (8 + RPPS)
FINESS_OID = "urn:oid:1.2.250.1.71.4.2.2"
FR_CORE = "https://hl7.fr/ig/fhir/core"


def ref(resource_type: str, pk: Any, display: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"reference": f"{resource_type}/{pk}"}
    if display:
        out["display"] = display
    return out


def instant(value: datetime, zone: tzinfo | None = None) -> str:
    """An aware datetime with its offset (FHIR instant/dateTime): in `zone` when the moment
    happens at a site (an appointment's, a slot's or a hold's: its site's zone, so that
    08:00 in Cayenne reads 08:00-03:00); else in the centre's default zone (the moments of
    records, requests and questionnaires belong to no site)."""
    if timezone.is_naive(value):
        raise ValueError("naive datetime")
    return value.astimezone(zone or PARIS).isoformat(timespec="seconds")


def procedure_concept(procedure: Any) -> dict[str, Any]:
    return {
        "coding": [
            {"system": PROCEDURE_SYSTEM, "code": procedure.code, "display": procedure.label_fr}
        ],
        "text": procedure.label_fr,
    }


def kind_concept(kind: str) -> dict[str, Any]:
    return {"coding": [{"system": KIND_SYSTEM, "code": kind}]}
