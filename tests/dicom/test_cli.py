"""`geste dicom` as a real process on its own database, and the demo's stations."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geste.clinic.models import Modality, Room, Site
from geste.dicom.demo import ensure_demo_stations
from geste.dicom.models import ModalityStation
from tests.dicom.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SETUP = (
    "from geste.clinic.models import Room, Site; from geste.dicom.models import ModalityStation; "
    "s = Site.objects.create(name='S', address='A'); "
    "r = Room.objects.create(site=s, name='Salle 1', modality='fluoroscopy'); "
    "ModalityStation.objects.create(room=r, ae_title='FLUORO1')"
)


def echoscu(port: int, aet: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["echoscu", "-aet", aet, "-aec", "GESTE", "127.0.0.1", str(port)],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_geste_dicom_serves_known_stations_only(dcmtk: None, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'geste.sqlite3'}",
        "GESTE_DEBUG": "1",
        "GESTE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "geste.settings",
    }
    geste = [sys.executable, "-m", "geste.cli"]
    subprocess.run([*geste, "manage", "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*geste, "manage", "shell", "-c", SETUP], env=env, check=True, cwd=ROOT)
    port = free_port()
    server = subprocess.Popen(
        [*geste, "dicom", "--port", str(port), "--ae", "GESTE"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(100):
            ok = echoscu(port, "FLUORO1")
            if ok.returncode == 0:
                break
            time.sleep(0.2)
        assert ok.returncode == 0, ok.stderr
        refused = echoscu(port, "STRANGER")
        assert refused.returncode != 0
        assert "Calling AE Title Not Recognized" in refused.stderr + refused.stdout
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=10)
    assert f"AE GESTE on 127.0.0.1:{port}" in out
    assert "association from STRANGER rejected" in out


@pytest.mark.django_db
def test_demo_stations_one_per_room_idempotent() -> None:
    site = Site.objects.create(name="Demo", address="Paris")
    Room.objects.create(site=site, name="Salle 1", modality=Modality.FLUOROSCOPY)
    Room.objects.create(site=site, name="Salle 2", modality=Modality.FLUOROSCOPY)
    Room.objects.create(site=site, name="Salle écho", modality=Modality.ULTRASOUND)
    first = ensure_demo_stations()
    assert [s.ae_title for s in first] == ["FLUORO1", "FLUORO2", "ECHO1"]
    assert [s.modality for s in first] == ["XA", "XA", "US"]
    assert ensure_demo_stations() == first
    assert ModalityStation.objects.count() == 3
