"""The centre as FHIR: Practitioner (RPPS), Organization (site, FINESS), Location (rooms),
HealthcareService (procedures of the catalogue), Schedule (one per room)."""

from __future__ import annotations

from typing import Any

from geste.api.fhir.mappers.common import FINESS_OID, IDNPS_OID, procedure_concept, ref
from geste.clinic.models import Procedure, Room, Site, User

PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"


def practitioner(u: User) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(u.pk),
        "active": u.is_active,
        "name": [
            {"family": u.last_name or u.username, "given": [u.first_name] if u.first_name else []}
        ],
    }
    if not out["name"][0]["given"]:
        del out["name"][0]["given"]
    if u.rpps:
        out["identifier"] = [{"system": IDNPS_OID, "value": f"8{u.rpps}"}]
    return out


def organization(s: Site) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(s.pk),
        "active": True,
        "name": s.name,
        "address": [{"text": s.address}],
    }
    if s.finess:
        out["identifier"] = [{"system": FINESS_OID, "value": s.finess}]
    if s.phone:
        out["telecom"] = [{"system": "phone", "value": s.phone}]
    return out


def location(r: Room) -> dict[str, Any]:
    return {
        "resourceType": "Location",
        "id": str(r.pk),
        "status": "active" if r.active else "inactive",
        "name": f"{r.site.name} – {r.name}",
        "mode": "instance",
        "type": [{"text": r.get_modality_display()}],
        "physicalType": {"coding": [{"system": PHYSICAL_TYPE, "code": "ro", "display": "Room"}]},
        "managingOrganization": ref("Organization", r.site_id),
    }


def healthcare_service(p: Procedure, rooms: list[Room], site: Site | None) -> dict[str, Any]:
    modalities = {p.modality, p.alt_modality} - {""}
    out: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": str(p.pk),
        "active": p.enabled,
        "type": [procedure_concept(p)],
        "name": p.label_fr,
        "comment": p.plain_fr,
        "location": [ref("Location", r.pk) for r in rooms if r.modality in modalities],
    }
    if site is not None:
        out["providedBy"] = ref("Organization", site.pk)
    if not out["location"]:
        del out["location"]
    return out


def schedule(r: Room) -> dict[str, Any]:
    return {
        "resourceType": "Schedule",
        "id": str(r.pk),
        "active": r.active,
        "actor": [ref("Location", r.pk, f"{r.site.name} – {r.name}")],
        "comment": "Slots are computed from opening hours, rosters, skills and bookings.",
    }
