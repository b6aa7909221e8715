"""DICOM tests: a real server on a free port, stations, today's procedures, and the
third-party clients (dcmtk, npm dcmjs-dimse) installed when missing."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from geste.clinic.models import Modality, Role, Room, Site, User
from geste.dicom.models import ModalityStation
from geste.pathway.models import ProcedureRequest, RequestState
from geste.patients.models import Patient
from geste.scheduling.models import Appointment
from tests.factories import make_patient, make_user
from tests.pathway.factories import book, declare, make_request

HERE = Path(__file__).parent
DATA = HERE / "data"
NODE_DIR = HERE / "node"
SIEMENS = DATA / "siemens_axiom_artis.dcm"
PHILIPS = DATA / "philips_allura_clarity_u104.dcm"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def dcmtk() -> None:
    """dcmtk's command-line tools (Debian package `dcmtk`; `.ci/run` installs it)."""
    if shutil.which("findscu") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "dcmtk"], check=True)
    assert shutil.which("findscu") and shutil.which("storescu") and shutil.which("dump2dcm")


@pytest.fixture(scope="session")
def node_modality() -> Path:
    """The npm client (dcmjs-dimse, pinned in package-lock.json) installed if missing."""
    if not (NODE_DIR / "node_modules" / "dcmjs-dimse").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR, check=True
        )
    return NODE_DIR / "modality.js"


@pytest.fixture
def dicom_server(reference_data: None) -> Iterator[tuple[str, int]]:
    from geste.dicom import server

    port = free_port()
    srv = server.start("127.0.0.1", port, "GESTE")
    try:
        yield "127.0.0.1", port
    finally:
        srv.shutdown()


@pytest.fixture
def room(reference_data: None) -> Room:
    site = Site.objects.create(name="Centre DICOM", address="Paris")
    return Room.objects.create(site=site, name="Salle 1", modality=Modality.FLUOROSCOPY)


@pytest.fixture
def station(room: Room) -> ModalityStation:
    # The AE title and station name dcmtk's example worklist queries ask for.
    return ModalityStation.objects.create(room=room, ae_title="AA2", station_name="A2")


@pytest.fixture
def rad(reference_data: None) -> User:
    return make_user("radio_dicom", Role.RADIOLOGIST, first_name="Hélène", last_name="Durand")


def today_at(hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(), time(hour, minute)))


def procedure_today(
    patient: Patient, rad: User, room: Room, hour: int, code: str = "facet_infiltration"
) -> Appointment:
    req = make_request(patient, code, state=RequestState.PROCEDURE_BOOKED, validated_by=rad)
    appt = book(req, today_at(hour), rad)
    Appointment.objects.filter(pk=appt.pk).update(room=room)
    appt.refresh_from_db()
    return appt


@pytest.fixture
def day(station: ModalityStation, rad: User, room: Room) -> dict[str, Any]:
    """Bob Lefèvre at 09:00, bone biopsy (allergic to iodinated contrast, on an
    anticoagulant) and Alice Moreau at 14:30 (not pregnant), both in the station's room."""
    bob = make_patient("Bob", "Lefèvre", sex="M")
    alice = make_patient("Alice", "Moreau", sex="F")
    a_bob = procedure_today(bob, rad, room, 9, code="bone_biopsy")
    a_alice = procedure_today(alice, rad, room, 14, code="epidural_infiltration")
    Appointment.objects.filter(pk=a_alice.pk).update(start=today_at(14, 30), end=today_at(15))
    a_alice.refresh_from_db()
    declare(
        bob,
        today_at(8) - timedelta(days=1),
        request=a_bob.request,
        allergies=["iodinated_contrast"],
        takes_anticoagulant=True,
    )
    declare(alice, today_at(8) - timedelta(days=1), request=a_alice.request, pregnant=False)
    return {"bob": a_bob, "alice": a_alice, "station": station}


def request_of(appt: Appointment) -> ProcedureRequest:
    assert appt.request is not None
    return appt.request
