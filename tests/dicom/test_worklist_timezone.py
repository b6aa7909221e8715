"""The modality worklist speaks the room's local time (issue 13, point 11): a unit in Réunion
(UTC+4) or Cayenne (UTC-3) asks for its own local day and reads its own local start time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydicom.dataset import Dataset

from geste.clinic.models import Modality, Procedure, Role, Room, Site
from geste.dicom import worklist
from geste.dicom.models import ModalityStation
from geste.scheduling.models import Appointment, AppointmentKind
from tests.factories import make_patient, make_user

pytestmark = pytest.mark.django_db

CAYENNE = ZoneInfo("America/Cayenne")
REUNION = ZoneInfo("Indian/Reunion")


def _station(name: str, zone: str, ae: str) -> Room:
    site = Site.objects.create(name=f"Site {name}", address="1 rue du Port", time_zone=zone)
    room = Room.objects.create(site=site, name=f"Salle {name}", modality=Modality.FLUOROSCOPY)
    ModalityStation.objects.create(room=room, ae_title=ae, station_name=ae)
    return room


def _appointment(room: Room, start: datetime, last_name: str) -> None:
    Appointment.objects.create(
        patient=make_patient("Anne", last_name, sex="F"),
        kind=AppointmentKind.PROCEDURE,
        procedure=Procedure.objects.get(code="facet_infiltration"),
        room=room,
        radiologist=make_user(f"rad-{last_name}", Role.RADIOLOGIST),
        start=start,
        end=start + timedelta(minutes=30),
    )


def _find(ae: str, day: str) -> list[tuple[str, str, str]]:
    q = Dataset()
    q.PatientName = ""
    sps = Dataset()
    sps.ScheduledStationAETitle = ae
    sps.ScheduledProcedureStepStartDate = day
    sps.ScheduledProcedureStepStartTime = ""
    q.ScheduledProcedureStepSequence = [sps]
    return [
        (
            str(a.PatientName),
            a.ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate,
            a.ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime,
        )
        for a in worklist.find(q)
    ]


def test_reunion_unit_reads_its_own_day_and_time() -> None:
    """01:30 on Monday in Réunion is Sunday 22:30 in Paris: on Monday's list, at 01:30."""
    room = _station("Réunion", "Indian/Reunion", "REUNION1")
    _appointment(room, datetime(2026, 3, 9, 1, 30, tzinfo=REUNION), "Payet")
    _appointment(room, datetime(2026, 3, 10, 1, 50, tzinfo=REUNION), "Hoarau")  # Tuesday
    assert _find("REUNION1", "20260309") == [("Payet^Anne", "20260309", "013000")]


def test_cayenne_unit_reads_its_own_day_and_time() -> None:
    """21:10 on Monday in Cayenne is Tuesday 01:10 in Paris: on Monday's list, at 21:10."""
    room = _station("Cayenne", "America/Cayenne", "CAYENNE1")
    _appointment(room, datetime(2026, 3, 9, 21, 10, tzinfo=CAYENNE), "Thérèse")
    _appointment(room, datetime(2026, 3, 8, 21, 45, tzinfo=CAYENNE), "Horth")  # Sunday
    assert _find("CAYENNE1", "20260309") == [("Thérèse^Anne", "20260309", "211000")]
