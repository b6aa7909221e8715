"""DICOM server figures: worklist C-FIND over a day of 1,000 appointments, RDSR import.

Builds a scratch SQLite database (migrated; 1,000 procedure appointments today in one room
with a DICOM station, with requests and questionnaires), starts `geste dicom` on a free port
in its own process and talks to it with pynetdicom's client. Prints p50/p95 in milliseconds.
Baselines measured in the same run: C-ECHO on the same association, and pynetdicom alone
answering 40 and 1,000 fixed items (what any pynetdicom worklist costs before reading a
database: its cost per answer is the floor under "the whole day in one room").
Queries: a station's day (what a unit asks each morning) in a day of 1,000 spread over 25
rooms; the same 1,000 all in one room (1,000 answers: pynetdicom's cost per answer shows);
one patient by ID (the database narrows); names by wildcard (matched in Python).
RDSR: a real file (pyskindose's Philips example) grown to ~1.2 MB by repeating its
irradiation events, imported (parse, match, store, alerts) directly and through C-STORE;
baseline: pydicom's own read of the file (lazy: it decodes nothing yet).
`--profile` adds cProfile's top lines for the server's side of the whole-day C-FIND
(read, match, encode) and for the RDSR import. Never asserts timings.

    .venv/bin/python bench/dicom.py [--n 1000] [--repeat 20] [--profile]
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import os
import pstats
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from _report import record

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


def _profile(label: str, fn: Callable[[], object], lines: int = 14) -> None:
    prof = cProfile.Profile()
    prof.runcall(fn)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(lines)
    body = out.getvalue()
    total = next((line.strip() for line in body.splitlines() if "function calls" in line), "")
    print(f"\n  cProfile, {label} (sorted by own time): {total}")
    print("\n".join("    " + line for line in body[body.index("   ncalls") :].splitlines()))


def floor_server(port: int, answer: str) -> None:
    """pynetdicom alone: a C-FIND handler yielding fixed answers (as many as the query's
    PatientID says), with the same socket option and logging settings as ours. Its
    latency is the floor our worklist sits on. With `answer` (a file prefix), each answer
    is the bytes of one real answer of ours (.implicit/.explicit), handed to pynetdicom
    as our server does: the floor is then pynetdicom's transport and the client's decoding
    of a full-size answer, with no database and no encoding."""
    import pynetdicom.service_class
    from pydicom.dataset import Dataset
    from pynetdicom import AE, evt
    from pynetdicom import _config as pynetdicom_config
    from pynetdicom.sop_class import ModalityWorklistInformationFind  # type: ignore[attr-defined]

    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = "Lefèvre^Bob"
    ds.PatientID = ds.AccessionNumber = "GP1"

    pynetdicom_config.LOG_REQUEST_IDENTIFIERS = False
    pynetdicom_config.LOG_RESPONSE_IDENTIFIERS = False
    if answer:
        raw = {True: Path(answer + ".implicit").read_bytes()}
        raw[False] = Path(answer + ".explicit").read_bytes()

        def encode(ds: Dataset, implicit: bool, little: bool, deflated: bool = False) -> bytes:
            return raw[implicit]

        pynetdicom.service_class.encode = encode  # type: ignore[assignment]

    def handle(event: evt.Event) -> object:
        for _ in range(int(event.identifier.PatientID)):
            yield 0xFF00, ds

    def no_delay(event: evt.Event) -> None:
        event.assoc.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    ae = AE("GESTE")
    ae.add_supported_context(ModalityWorklistInformationFind)
    handlers = [(evt.EVT_C_FIND, handle), (evt.EVT_CONN_OPEN, no_delay)]
    ae.start_server(("127.0.0.1", port), block=True, evt_handlers=handlers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--floor-server", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--floor-answer", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_server:
        floor_server(args.floor_server, args.floor_answer)
        return
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
    from pynetdicom import _config as pynetdicom_config
    from pynetdicom.dsutils import encode as encode_ds
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
    from geste.dicom import rdsr, worklist
    from geste.dicom.matching import Query
    from geste.dicom.models import DoseReport, ModalityStation
    from geste.dicom.services import dose_report_import

    rad = make_user("b-rad", Role.RADIOLOGIST, first_name="A", last_name="B")
    today = timezone.localdate()
    t0 = time.perf_counter()
    fill_day(today, args.n, rad)
    # The same day twice: once in one room (worst case: every answer to one station), once
    # spread over 25 rooms of 40 procedures (a centre's day; a station asks for its own).
    first = room()
    ModalityStation.objects.create(room=first, ae_title="FLUORO1", station_name="FLUORO1")
    from django.db.models import F

    from geste.clinic.models import Modality, Room
    from geste.scheduling.models import Appointment

    fill_day(today, args.n, rad)
    spread = [
        Room.objects.create(site=first.site, name=f"Salle {i}", modality=Modality.FLUOROSCOPY)
        for i in range(2, 27)
    ]
    for i, r in enumerate(spread):
        ModalityStation.objects.create(room=r, ae_title=f"ROOM{i + 2}", station_name="")
    second = list(Appointment.objects.order_by("pk").values_list("pk", flat=True))[args.n :]
    for i, r in enumerate(spread):
        # The second fill runs past midnight (40 s apart after the first): back into the day.
        Appointment.objects.filter(pk__in=second[i :: len(spread)]).update(
            room=r, start=F("start") - timedelta(hours=11), end=F("end") - timedelta(hours=11)
        )
    print(
        f"geste bench/dicom.py: {2 * args.n} appointments today, {args.n} in one room, "
        f"{args.n} over {len(spread)} rooms ({time.perf_counter() - t0:.1f} s)"
    )

    # The client is the unit: not pynetdicom in real life. Its debug formatting of every
    # answer (on by default, even with the log off) would be counted against us.
    pynetdicom_config.LOG_REQUEST_IDENTIFIERS = False
    pynetdicom_config.LOG_RESPONSE_IDENTIFIERS = False
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The server in its own process, as `geste dicom` runs (no GIL shared with the client).
    srv = subprocess.Popen(
        [sys.executable, "-m", "geste.cli", "dicom", "--port", str(port)],
        env={**os.environ},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        ae = AE(ae_title="FLUORO1")
        for ctx in (Verification, ModalityWorklistInformationFind, XRayRadiationDoseSRStorage):
            ae.add_requested_context(ctx)
        ae.dimse_timeout = ae.network_timeout = 120
        for _ in range(200):
            assoc = ae.associate("127.0.0.1", port, ae_title="GESTE")
            if assoc.is_established:
                break
            time.sleep(0.1)
        assert assoc.is_established
        # As dcmtk does by default: no Nagle delay on the client's small writes either.
        assoc.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def query(station: str = "FLUORO1", **top: str) -> Dataset:
            q = Dataset()
            for kw in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex"):
                q.__setattr__(kw, "")
            for kw in ("AccessionNumber", "StudyInstanceUID", "MedicalAlerts", "Allergies"):
                q.__setattr__(kw, "")
            q.PregnancyStatus = None
            for k, v in top.items():
                setattr(q, k, v)
            sps = Dataset()
            sps.ScheduledStationAETitle = station
            sps.ScheduledProcedureStepStartDate = today.strftime("%Y%m%d")
            for kw in ("ScheduledProcedureStepStartTime", "Modality", "ScheduledProcedureStepID"):
                setattr(sps, kw, "")
            code = Dataset()
            code.CodeValue = code.CodeMeaning = code.CodingSchemeDesignator = ""
            sps.ScheduledProtocolCodeSequence = [code]
            q.ScheduledProcedureStepSequence = [sps]
            return q

        counts: dict[str, int] = {}
        sample: dict[str, Dataset] = {}

        def find(label: str, q: Dataset) -> Callable[[], None]:
            def run() -> None:
                n = 0
                for status, ident in assoc.send_c_find(q, ModalityWorklistInformationFind):
                    if status and status.Status in (0xFF00, 0xFF01) and ident is not None:
                        n += 1
                        sample[label] = ident
                    elif status and status.Status != 0x0000:
                        raise RuntimeError(f"C-FIND status 0x{status.Status:04X}")
                counts[label] = n

            return run

        print("\nModality worklist C-FIND (pynetdicom client, one association, TCP loopback)")
        print(f"  load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        echo = _timed(lambda: assoc.send_c_echo(), args.repeat)
        _row("C-ECHO (floor)", echo)
        pid = "GP" + str(
            __import__("geste.patients.models", fromlist=["Patient"])
            .Patient.objects.order_by("pk")[500]
            .pk
        )
        cases = [
            ("a station's day (40 of the day's 1,000)", query("ROOM7")),
            ("one room holding the whole day", query()),
            ("one patient by PatientID", query(PatientID=pid)),
            ("names by wildcard (Charge12*)", query(PatientName="Charge12*")),
        ]
        found: dict[str, list[float]] = {}
        for label, q in cases:
            times = found[label] = _timed(find(label, q), args.repeat)
            _row(
                label,
                times,
                f"{counts[label]:>5} answers, p95/echo x{_pct(times, 95) / _pct(echo, 95):.0f}",
            )
        station, whole = found[cases[0][0]], found[cases[1][0]]
        record(
            "dicom",
            "C-FIND, a station's day (40 answers), p95",
            round(_pct(station, 95), 1),
            "ms",
            "< 200 ms",
            _pct(station, 95) < 200,
        )
        record(
            "dicom",
            f"C-FIND, the whole day in one room ({counts[cases[1][0]]} answers), p95",
            round(_pct(whole, 95), 1),
            "ms",
            "< 200 ms",
            _pct(whole, 95) < 200,
            "floor: pynetdicom alone, per answer, in the same run (below)",
        )

        # One real answer of the whole day, for the full-size floor.
        prefix = str(Path(tmp) / "answer")
        one = sample[cases[1][0]]
        Path(prefix + ".implicit").write_bytes(encode_ds(one, True, True) or b"")
        Path(prefix + ".explicit").write_bytes(encode_ds(one, False, True) or b"")
        floors = (
            ("a 4-key answer", "", (40, args.n)),
            ("one of our full answers, pre-encoded", prefix, (args.n,)),
        )
        for kind, answer_file, sizes in floors:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                floor_port = s.getsockname()[1]
            floor = subprocess.Popen(
                [sys.executable, __file__, "--floor-server", str(floor_port)]
                + (["--floor-answer", answer_file] if answer_file else [])
            )
            try:
                fae = AE(ae_title="FLUORO1")
                fae.add_requested_context(ModalityWorklistInformationFind)
                for _ in range(200):
                    fassoc = fae.associate("127.0.0.1", floor_port, ae_title="GESTE")
                    if fassoc.is_established:
                        break
                    time.sleep(0.1)
                fassoc.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

                def floor_find(answers: int, fassoc: Any = fassoc) -> Callable[[], None]:
                    def run() -> None:
                        q = query(PatientID=str(answers))
                        got = fassoc.send_c_find(q, ModalityWorklistInformationFind)
                        counts["floor"] = sum(1 for _, d in got if d)

                    return run

                print(f"  baseline: pynetdicom alone, {kind} repeated")
                for answers in sizes:
                    times = _timed(floor_find(answers), args.repeat)
                    per = _pct(times, 50) / answers
                    label = f"  {answers} answers"
                    _row(label, times, f"{counts['floor']:>5} answers, {per:.2f} ms/answer (p50)")
                    if answers == args.n:
                        record(
                            "dicom",
                            f"baseline: pynetdicom alone, {answers} answers ({kind}), p95",
                            round(_pct(times, 95), 1),
                            "ms",
                            "",
                            None,
                        )
                fassoc.release()
            finally:
                floor.terminate()
                floor.wait(timeout=10)
        print(f"  load average after: {os.getloadavg()[0]:.1f}")
        if args.profile:
            day = Query(query())
            worklist.matching_items(day)  # warm-up (settings cache, query plans)

            def server_side() -> None:
                for item in worklist.matching_items(day):
                    day.encode(item, implicit=True)

            _profile(f"server side of the whole day's C-FIND ({args.n} answers)", server_side)

        print("\nX-Ray Radiation Dose SR import (~1.2 MB)")
        src = pydicom.dcmread(ROOT / "tests/dicom/data/philips_allura_clarity_u104.dcm")
        events = [
            i for i in src.ContentSequence if i.ConceptNameCodeSequence[0].CodeValue == "113706"
        ]
        while len(src.ContentSequence) < 130:
            src.ContentSequence.append(
                copy.deepcopy(events[len(src.ContentSequence) % len(events)])
            )
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
        print(f"  load average before: {os.getloadavg()[0]:.1f}")
        _row(
            "baseline: pydicom dcmread alone (lazy)", _timed(lambda: pydicom.dcmread(path), repeat)
        )
        _row("read + parse only", _timed(parse_only, repeat))
        imports = _timed(direct, repeat)
        _row("import (parse, store file, rows, match)", imports)
        record(
            "dicom",
            f"RDSR import ({len(raw) / 1e6:.1f} MB), p95",
            round(_pct(imports, 95)),
            "ms",
            "< 1 s",
            _pct(imports, 95) < 1000,
        )
        _row("C-STORE end to end (client encode included)", _timed(over_network, repeat))
        print(f"  dose reports held: {DoseReport.objects.count()}")
        print(f"  load average after: {os.getloadavg()[0]:.1f}")
        if args.profile:
            _profile("RDSR import (parse, store file, rows, match)", direct)
        assoc.release()
    finally:
        srv.terminate()
        srv.wait(timeout=10)


if __name__ == "__main__":
    main()
