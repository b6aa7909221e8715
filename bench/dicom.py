"""DICOM server figures: worklist C-FIND over a day of 1,000 appointments, RDSR import.

Builds a scratch SQLite database (migrated; 1,000 procedure appointments today in one room
with a DICOM station, with requests and questionnaires), starts the AE in this process on a
free port and talks to it with pynetdicom's client over TCP. Prints p50/p95 in
milliseconds; C-ECHO on the same association is the floor measured in the same run.
Queries: the station's whole day (what a unit asks each morning: 1,000 answers), one
patient by ID (the database narrows), names by wildcard (every item matched in Python).
RDSR: a real file (pyskindose's Philips example) grown to ~1.2 MB by repeating its
irradiation events, imported (parse, match, store, alerts) directly and through C-STORE.
Never asserts timings.

    .venv/bin/python bench/dicom.py [--n 1000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import copy
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _row(label: str, times: list[float], extra: str = "") -> None:
    print(f"  {label:<44} p50 {_pct(times, 50):8.1f} ms   p95 {_pct(times, 95):8.1f} ms  {extra}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="geste-bench-dicom-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["GESTE_VAR_DIR"] = tmp
    os.environ.setdefault("GESTE_DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geste.settings")
    import django

    django.setup()
    import pydicom
    from django.core.management import call_command
    from django.utils import timezone
    from pydicom.dataset import Dataset
    from pydicom.uid import generate_uid
    from pynetdicom import AE
    from pynetdicom.sop_class import (  # type: ignore[attr-defined]
        ModalityWorklistInformationFind,
        Verification,
        XRayRadiationDoseSRStorage,
    )

    call_command("migrate", verbosity=0)
    from tests.factories import make_user
    from tests.pathway.bulk import fill_day
    from tests.pathway.factories import room

    from geste.clinic.models import Role
    from geste.dicom import rdsr, server
    from geste.dicom.models import DoseReport, ModalityStation
    from geste.dicom.services import dose_report_import

    rad = make_user("b-rad", Role.RADIOLOGIST, first_name="A", last_name="B")
    today = timezone.localdate()
    t0 = time.perf_counter()
    fill_day(today, args.n, rad)
    ModalityStation.objects.create(room=room(), ae_title="FLUORO1", station_name="FLUORO1")
    print(f"geste bench/dicom.py: {args.n} appointments today ({time.perf_counter() - t0:.1f} s)")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = server.start("127.0.0.1", port, "GESTE")
    ae = AE(ae_title="FLUORO1")
    for ctx in (Verification, ModalityWorklistInformationFind, XRayRadiationDoseSRStorage):
        ae.add_requested_context(ctx)
    ae.dimse_timeout = ae.network_timeout = 120
    assoc = ae.associate("127.0.0.1", port, ae_title="GESTE")
    assert assoc.is_established

    def query(**top: str) -> Dataset:
        q = Dataset()
        for kw in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex"):
            q.__setattr__(kw, "")
        for kw in ("AccessionNumber", "StudyInstanceUID", "MedicalAlerts", "Allergies"):
            q.__setattr__(kw, "")
        q.PregnancyStatus = None
        for k, v in top.items():
            setattr(q, k, v)
        sps = Dataset()
        sps.ScheduledStationAETitle = "FLUORO1"
        sps.ScheduledProcedureStepStartDate = today.strftime("%Y%m%d")
        for kw in ("ScheduledProcedureStepStartTime", "Modality", "ScheduledProcedureStepID"):
            setattr(sps, kw, "")
        code = Dataset()
        code.CodeValue = code.CodeMeaning = code.CodingSchemeDesignator = ""
        sps.ScheduledProtocolCodeSequence = [code]
        q.ScheduledProcedureStepSequence = [sps]
        return q

    counts: dict[str, int] = {}

    def find(label: str, q: Dataset) -> Callable[[], None]:
        def run() -> None:
            n = 0
            for status, ident in assoc.send_c_find(q, ModalityWorklistInformationFind):
                if status and status.Status in (0xFF00, 0xFF01) and ident is not None:
                    n += 1
                elif status and status.Status != 0x0000:
                    raise RuntimeError(f"C-FIND status 0x{status.Status:04X}")
            counts[label] = n

        return run

    print("\nModality worklist C-FIND (pynetdicom client, one association, TCP loopback)")
    echo = _timed(lambda: assoc.send_c_echo(), args.repeat)
    _row("C-ECHO (floor)", echo)
    pid = "GP" + str(
        __import__("geste.patients.models", fromlist=["Patient"])
        .Patient.objects.order_by("pk")[500]
        .pk
    )
    cases = [
        ("station's whole day", query()),
        ("one patient by PatientID", query(PatientID=pid)),
        ("names by wildcard (Charge12*)", query(PatientName="Charge12*")),
    ]
    for label, q in cases:
        times = _timed(find(label, q), args.repeat)
        _row(
            label,
            times,
            f"{counts[label]:>5} answers, p95/echo x{_pct(times, 95) / _pct(echo, 95):.0f}",
        )

    print("\nX-Ray Radiation Dose SR import (~1.2 MB)")
    src = pydicom.dcmread(ROOT / "tests/dicom/data/philips_allura_clarity_u104.dcm")
    events = [i for i in src.ContentSequence if i.ConceptNameCodeSequence[0].CodeValue == "113706"]
    while len(src.ContentSequence) < 130:
        src.ContentSequence.append(copy.deepcopy(events[len(src.ContentSequence) % len(events)]))
    path = Path(tmp) / "big.dcm"
    src.save_as(path)
    raw = path.read_bytes()
    print(f"  file: {len(raw) / 1e6:.2f} MB, {len(src.ContentSequence)} content items")

    def direct() -> None:
        ds = pydicom.dcmread(path)
        ds.SOPInstanceUID = generate_uid()
        summary = rdsr.read(ds)
        dose_report_import(summary=summary, raw=raw, calling_ae="FLUORO1", station=None)

    def parse_only() -> None:
        rdsr.read(pydicom.dcmread(path))

    def over_network() -> None:
        ds = pydicom.dcmread(path)
        ds.SOPInstanceUID = generate_uid()
        status = assoc.send_c_store(ds)
        if status.Status != 0:
            raise RuntimeError(f"C-STORE status 0x{status.Status:04X}")

    repeat = max(5, args.repeat // 2)
    _row("read + parse only", _timed(parse_only, repeat))
    _row("import (parse, store file, rows, match)", _timed(direct, repeat))
    _row("C-STORE end to end (client encode included)", _timed(over_network, repeat))
    print(f"  dose reports held: {DoseReport.objects.count()}")
    assoc.release()
    srv.shutdown()


if __name__ == "__main__":
    main()
