"""Slot (computed, never stored), Appointment (booked, or proposed by $find)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from geste.api.fhir.mappers.common import (
    BOOKING_SYSTEM,
    instant,
    kind_concept,
    procedure_concept,
    ref,
)
from geste.clinic.models import Procedure
from geste.clinic.selectors import site_zone
from geste.scheduling.models import Appointment, AppointmentStatus

STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.CHECKED_IN: "checked-in",
    AppointmentStatus.DONE: "fulfilled",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "noshow",
}
_SLOT_ID = re.compile(r"^([cp])(\d+)-(\d+)-(\d+)-(\d+)$")


@dataclass(frozen=True)
class SlotKey:
    """Everything a slot is: kind, procedure, room, radiologist, start (UTC minute)."""

    kind: str
    procedure_id: int
    room_id: int
    radiologist_id: int
    start: datetime

    @property
    def id(self) -> str:
        minute = int(self.start.timestamp()) // 60
        return f"{self.kind[0]}{self.procedure_id}-{self.room_id}-{self.radiologist_id}-{minute}"

    @classmethod
    def parse(cls, slot_id: str) -> SlotKey | None:
        m = _SLOT_ID.match(slot_id or "")
        if m is None:
            return None
        kind = "consultation" if m[1] == "c" else "procedure"
        start = datetime.fromtimestamp(int(m[5]) * 60, tz=UTC)
        return cls(kind, int(m[2]), int(m[3]), int(m[4]), start)


def slot(
    key: SlotKey,
    end: datetime,
    procedure: Procedure,
    status: str = "free",
    zone: tzinfo | None = None,
) -> dict[str, Any]:
    """A slot; its times in `zone`, its room's site's (the engine's options carry it)."""
    return {
        "resourceType": "Slot",
        "id": key.id,
        "serviceType": [procedure_concept(procedure)],
        "appointmentType": kind_concept(key.kind),
        "schedule": ref("Schedule", key.room_id),
        "status": status,
        "start": instant(key.start, zone),
        "end": instant(end, zone),
        "comment": f"Practitioner/{key.radiologist_id}",
    }


def proposed(
    key: SlotKey, end: datetime, procedure: Procedure, patient_id: int, zone: tzinfo | None = None
) -> dict[str, Any]:
    """An Appointment proposed by $find (IHE ITI-115): not stored, book it with $hold/$book.
    Its times in `zone`, its room's site's."""
    return {
        "resourceType": "Appointment",
        "status": "proposed",
        "serviceType": [procedure_concept(procedure)],
        "appointmentType": kind_concept(key.kind),
        "start": instant(key.start, zone),
        "end": instant(end, zone),
        "slot": [ref("Slot", key.id)],
        "participant": [
            {"actor": ref("Patient", patient_id), "status": "needs-action"},
            {"actor": ref("Practitioner", key.radiologist_id), "status": "needs-action"},
            {"actor": ref("Location", key.room_id), "status": "needs-action"},
        ],
    }


def appointment(a: Appointment, identifier: tuple[str, str] | None = None) -> dict[str, Any]:
    """A booked appointment; its times in its room's site's zone (callers load room__site)."""
    key = SlotKey(a.kind, a.procedure_id, a.room_id, a.radiologist_id, a.start)
    zone = site_zone(a.room.site.time_zone)
    status = STATUS.get(AppointmentStatus(a.status), "booked")
    state = "declined" if status == "cancelled" else "accepted"
    out: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": str(a.pk),
        "status": status,
        "serviceType": [procedure_concept(a.procedure)],
        "appointmentType": kind_concept(a.kind),
        "start": instant(a.start, zone),
        "end": instant(a.end, zone),
        "created": a.created_at.date().isoformat(),
        "slot": [ref("Slot", key.id)],
        "participant": [
            {"actor": ref("Patient", a.patient_id), "status": state},
            {"actor": ref("Practitioner", a.radiologist_id), "status": state},
            {"actor": ref("Location", a.room_id), "status": state},
        ],
    }
    if identifier:
        system, value = identifier
        out["identifier"] = [{"system": system or BOOKING_SYSTEM, "value": value}]
    if a.request_id:
        out["basedOn"] = [ref("ServiceRequest", a.request_id)]
    if a.cancel_reason and status == "cancelled":
        out["cancelationReason"] = {"text": "cancelled"}
    return out
