"""The modality worklist speaks the room's local time (issue 13, point 11): a unit in Réunion
(UTC+4) or Cayenne (UTC-3) asks for its own local day and reads its own local start time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pydicom
import pytest
from django.core.files.storage import default_storage
from pydicom.dataset import Dataset

from geste import PARIS
from geste.clinic.models import Modality, Procedure, Role, Room, Site
from geste.dicom import identifiers as ids
from geste.dicom import mpps, rdsr, worklist
from geste.dicom.models import ModalityStation
from geste.dicom.services import dose_report_import
from geste.pathway.models import ProcedureRequest, RequestState
from geste.scheduling.models import Appointment, AppointmentKind
from tests.dicom.conftest import SIEMENS
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


def _station_of(room: Room) -> ModalityStation:
    return ModalityStation.objects.get(room=room)


def test_mpps_times_are_the_units_local_time() -> None:
    """A Cayenne unit's step started at 21:10 and ended at 21:40, its wall clock."""
    room = _station("Cayenne", "America/Cayenne", "CAYENNE1")
    ds = Dataset()
    ds.PerformedProcedureStepStatus = "IN PROGRESS"
    ds.PerformedProcedureStepStartDate = "20260309"
    ds.PerformedProcedureStepStartTime = "211000"
    ds.ScheduledStepAttributesSequence = [Dataset()]
    station = _station_of(room)
    step = mpps.mpps_create(uid="1.2.3.4", ds=ds, station=station)
    assert step.started_at == datetime(2026, 3, 9, 21, 10, tzinfo=CAYENNE)
    end = Dataset()
    end.PerformedProcedureStepStatus = "COMPLETED"
    end.PerformedProcedureStepEndDate = "20260309"
    end.PerformedProcedureStepEndTime = "214000"
    step = mpps.mpps_update(uid="1.2.3.4", ds=end, station=station)
    assert step.ended_at == datetime(2026, 3, 9, 21, 40, tzinfo=CAYENNE)


def test_dose_report_read_in_the_units_zone_and_matched_on_its_local_day() -> None:
    """A Cayenne unit's report of Monday 21:30 (its wall clock: Tuesday 01:30 in Paris) is
    Monday's, and matched by patient and day to Monday 21:10's procedure there."""
    room = _station("Cayenne", "America/Cayenne", "CAYENNE1")
    _appointment(room, datetime(2026, 3, 9, 21, 10, tzinfo=CAYENNE), "Thérèse")
    appt = Appointment.objects.get()
    appt.request = ProcedureRequest.objects.create(
        patient=appt.patient, procedure=appt.procedure, state=RequestState.PROCEDURE_BOOKED
    )
    appt.save(update_fields=["request"])
    summary = replace(
        rdsr.read(pydicom.dcmread(SIEMENS)),
        sop_instance_uid=pydicom.uid.generate_uid(),
        accession_number="",
        study_instance_uid="",
        patient_id=ids.patient_id(appt.patient_id),
        performed_at=datetime(2026, 3, 9, 21, 30, tzinfo=PARIS),  # as rdsr reads it
    )
    report, _created = dose_report_import(
        summary=summary, raw=b"DICM", calling_ae="CAYENNE1", station=_station_of(room)
    )
    default_storage.delete(report.source_file.name)  # the other tests count the stored files
    assert report.performed_at == datetime(2026, 3, 9, 21, 30, tzinfo=CAYENNE)
    assert report.request_id == appt.request_id
