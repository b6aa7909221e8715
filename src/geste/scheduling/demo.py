"""Demo data: opening hours, rosters, skills and six weeks of bookings around today.

Deterministic for a given day (the random generator comes from the demo context). Bookings are
written in bulk (the past cannot be booked through the services) but obey the same rules: inside
opening hours and rosters, skilled radiologists, no overlap of room, radiologist or patient.
About two thirds of the capacity is used, so that a newcomer still finds slots this week.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import time, timedelta
from typing import IO, Any

from django.utils import timezone

from geste import PARIS
from geste.clinic.models import Procedure, Role, Room, User
from geste.patients.models import Patient
from geste.scheduling.capacity import is_public_holiday, local_at
from geste.scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    OpeningHours,
    RadiologistSkill,
    RosterEntry,
)

MORNING = (time(8, 0), time(12, 30))
AFTERNOON = (time(13, 30), time(18, 0))
# radiologist username -> weekdays present, room name or None (any room)
ROSTER: dict[str, list[tuple[int, str | None]]] = {
    "radio1": [(d, None) for d in range(5)],
    "radio2": [(0, "Salle 2"), (1, "Salle 2"), (2, "Salle 2"), (3, None)],
    "radio3": [(1, None), (3, None), (4, None)],
    "radio4": [(0, "Salle écho"), (2, "Salle écho"), (4, "Salle écho")],
}
LIMITED = {
    "radio3": {"vertebroplasty_benign", "vertebroplasty_tumoral", "tumor_ablation"},
    "radio4": None,  # None: only what the ultrasound room does, and consultations
}
WEEKS_BACK, WEEKS_AHEAD = 3, 3
OCCUPANCY = 0.65


def _write(progress: IO[str] | None, message: str) -> None:
    if progress is not None:
        progress.write(message + "\n")
        progress.flush()


def _capacity(rooms: list[Room], rads: dict[str, User], procedures: list[Procedure]) -> None:
    for room in rooms:
        for weekday in range(5):
            for start, end in (MORNING, AFTERNOON):
                OpeningHours.objects.get_or_create(room=room, weekday=weekday, start=start, end=end)
    by_name = {r.name: r for r in rooms}
    for username, days in ROSTER.items():
        rad = rads[username]
        for weekday, room_name in days:
            for start, end in (MORNING, AFTERNOON):
                RosterEntry.objects.get_or_create(
                    radiologist=rad,
                    weekday=weekday,
                    start=start,
                    end=end,
                    room=by_name.get(room_name) if room_name else None,
                )
        excluded = LIMITED.get(username, set())
        for p in procedures:
            if excluded is None and p.modality != "ultrasound":
                continue
            if excluded and p.code in excluded:
                continue
            RadiologistSkill.objects.get_or_create(radiologist=rad, procedure=p)


def load(*, context: dict[str, Any], progress: IO[str] | None = None) -> None:
    rng = context["rng"]
    site = context["site"]
    rooms = list(Room.objects.filter(site=site, active=True).order_by("pk"))
    rads = {u.username: u for u in User.objects.filter(role=Role.RADIOLOGIST)}
    procedures = list(Procedure.objects.filter(enabled=True))
    _capacity(rooms, rads, procedures)
    if Appointment.objects.exists():
        _write(progress, "  scheduling: bookings already there")
        return
    skills: dict[int, set[str]] = defaultdict(set)
    for rad_id, code in RadiologistSkill.objects.values_list("radiologist_id", "procedure__code"):
        skills[rad_id].add(code)
    roster: dict[tuple[int, int], list[tuple[User, int | None]]] = defaultdict(list)
    for entry in RosterEntry.objects.select_related("radiologist").filter(start=MORNING[0]):
        roster[(entry.weekday, 0)].append((entry.radiologist, entry.room_id))
    patients = list(Patient.objects.filter(user__isnull=True).order_by("pk"))
    rng.shuffle(patients)
    receptionist = User.objects.filter(role=Role.RECEPTIONIST).order_by("pk").first()
    today = timezone.localdate()
    first = today - timedelta(days=today.weekday() + 7 * WEEKS_BACK)
    now = timezone.now()
    busy_rad: dict[int, list[tuple[Any, Any]]] = defaultdict(list)
    busy_patient: dict[int, list[tuple[Any, Any]]] = defaultdict(list)
    made: list[Appointment] = []
    p_index = 0
    for offset in range(7 * (WEEKS_BACK + WEEKS_AHEAD)):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5 or is_public_holiday(day):
            continue
        present = roster[(day.weekday(), 0)]
        for room in rooms:
            suited = [p for p in procedures if room.modality in (p.modality, p.alt_modality)]
            for start_t, end_t in (MORNING, AFTERNOON):
                t = local_at(day, start_t)
                stop = local_at(day, end_t)
                while t < stop:
                    kind = (
                        AppointmentKind.CONSULTATION
                        if rng.random() < 0.35
                        else AppointmentKind.PROCEDURE
                    )
                    proc = rng.choice(suited if kind == AppointmentKind.PROCEDURE else procedures)
                    minutes = 20 if kind == AppointmentKind.CONSULTATION else proc.duration_min
                    end = t + timedelta(minutes=minutes)
                    if end > stop:
                        break
                    if rng.random() > OCCUPANCY:
                        t += timedelta(minutes=20 if kind == AppointmentKind.CONSULTATION else 15)
                        continue
                    candidates = [
                        rad
                        for rad, only in present
                        if (only is None or only == room.pk)
                        and (kind == AppointmentKind.CONSULTATION or proc.code in skills[rad.pk])
                        and all(e <= t or s >= end for s, e in busy_rad[rad.pk])
                    ]
                    if not candidates:
                        t += timedelta(minutes=15)
                        continue
                    rad = rng.choice(candidates)
                    patient = patients[p_index % len(patients)]
                    p_index += 1
                    if any(not (e <= t or s >= end) for s, e in busy_patient[patient.pk]):
                        t = end
                        continue
                    busy_rad[rad.pk].append((t, end))
                    busy_patient[patient.pk].append((t, end))
                    status = AppointmentStatus.BOOKED
                    if end <= now:
                        r = rng.random()
                        status = (
                            AppointmentStatus.DONE
                            if r < 0.9
                            else AppointmentStatus.NO_SHOW
                            if r < 0.95
                            else AppointmentStatus.CANCELLED
                        )
                    made.append(
                        Appointment(
                            patient=patient,
                            kind=kind,
                            procedure=proc,
                            room=room,
                            radiologist=rad,
                            start=t.astimezone(PARIS),  # the demo's one site is in Paris
                            end=end,
                            status=status,
                            video=kind == AppointmentKind.CONSULTATION and rng.random() < 0.15,
                            booked_by=receptionist,
                            cancel_reason="Empêchement du patient"
                            if status == AppointmentStatus.CANCELLED
                            else "",
                        )
                    )
                    t = end
    Appointment.objects.bulk_create(made, batch_size=500)
    # The pathway's demo gives each of them the request it implies (pathway is the floor above).
    _write(progress, f"  scheduling: {len(made)} appointments over six weeks")
