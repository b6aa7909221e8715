"""Demo stations: one DICOM station per room of the demo centre, so that `findscu` against
`geste demo` shows the day's procedures (README). Idempotent."""

from __future__ import annotations

from geste.clinic.models import Modality, Room
from geste.dicom.models import ModalityStation

_MODALITY: dict[str, str] = {
    Modality.FLUOROSCOPY: "XA",
    Modality.CT: "CT",
    Modality.ULTRASOUND: "US",
}
_PREFIX: dict[str, str] = {
    Modality.FLUOROSCOPY: "FLUORO",
    Modality.CT: "CT",
    Modality.ULTRASOUND: "ECHO",
}


def ensure_demo_stations() -> list[ModalityStation]:
    out = []
    counts: dict[str, int] = {}
    for room in Room.objects.filter(active=True).order_by("pk"):
        existing = ModalityStation.objects.filter(room=room).first()
        if existing is not None:
            out.append(existing)
            continue
        counts[room.modality] = counts.get(room.modality, 0) + 1
        title = f"{_PREFIX.get(room.modality, 'ROOM')}{counts[room.modality]}"
        station, _ = ModalityStation.objects.get_or_create(
            ae_title=title,
            defaults={
                "room": room,
                "station_name": title,
                "modality": _MODALITY.get(room.modality, "XA"),
            },
        )
        out.append(station)
    return out
