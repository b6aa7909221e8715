"""A small centre for scheduling tests: 3 rooms, opening hours, one rostered radiologist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

import pytest
import time_machine

from geste import PARIS
from geste.clinic.models import Modality, Procedure, Role, Room, Site, User
from geste.pathway.models import ProcedureRequest, RequestState
from geste.scheduling.models import OpeningHours, RadiologistSkill, RosterEntry
from tests.factories import make_user

# Monday 9 March 2026, 07:00 in Paris: every test of this package starts here unless it moves.
NOW = datetime(2026, 3, 9, 7, 0, tzinfo=PARIS)


def at(day: str, hhmm: str) -> datetime:
    y, m, d = (int(x) for x in day.split("-"))
    h, mi = (int(x) for x in hhmm.split(":"))
    return datetime(y, m, d, h, mi, tzinfo=PARIS)


@dataclass
class Centre:
    site: Site
    room1: Room
    room2: Room
    echo: Room
    radio: User


def build_centre(radio: User | None = None) -> Centre:
    site = Site.objects.create(name="Centre test", address="1 rue du Test\n75011 Paris")
    room1 = Room.objects.create(site=site, name="Salle 1", modality=Modality.FLUOROSCOPY)
    room2 = Room.objects.create(site=site, name="Salle 2", modality=Modality.FLUOROSCOPY)
    echo = Room.objects.create(site=site, name="Salle écho", modality=Modality.ULTRASOUND)
    for room in (room1, room2, echo):
        for weekday in range(5):
            OpeningHours.objects.create(
                room=room, weekday=weekday, start=time(8, 0), end=time(18, 0)
            )
    radio = radio or make_user("radio", Role.RADIOLOGIST, first_name="Hélène", last_name="Durand")
    roster_all_week(radio)
    skill_all(radio)
    return Centre(site, room1, room2, echo, radio)


def roster_all_week(radio: User, room: Room | None = None) -> None:
    for weekday in range(5):
        RosterEntry.objects.create(
            radiologist=radio, weekday=weekday, start=time(8, 0), end=time(18, 0), room=room
        )


def skill_all(radio: User) -> None:
    for procedure in Procedure.objects.all():
        RadiologistSkill.objects.get_or_create(radiologist=radio, procedure=procedure)


def validated_request(patient, code: str = "facet_infiltration", **extra) -> ProcedureRequest:  # type: ignore[no-untyped-def]
    return ProcedureRequest.objects.create(
        patient=patient,
        procedure=Procedure.objects.get(code=code),
        state=RequestState.VALIDATED,
        validated_at=NOW,
        **extra,
    )


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def centre(radiologist: User, frozen) -> Centre:  # type: ignore[no-untyped-def]
    return build_centre(radiologist)


def proc(code: str) -> Procedure:
    return Procedure.objects.get(code=code)
