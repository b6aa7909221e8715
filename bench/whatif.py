"""Benchmark: a crisis what-if over 100,000 pending requests, end to end, on SQLite and on
PostgreSQL in the same run (issue 6, point 8). Prints figures, asserts nothing.

    .venv/bin/python bench/whatif.py [--n 100000] [--backends sqlite,postgres]
        [--pg-url postgres://postgres@127.0.0.1:5432/postgres]

Each backend gets its own scratch database (a fresh SQLite file; a PostgreSQL database created
and dropped by this script), migrated, then filled with patients, pending requests in every
pending state (two fifths with a booked procedure appointment), questionnaires (a third with an
older one too; a tenth with an anticoagulant), lab results for half the patients. Each patient
has five pending requests spread over the whole id range (the adapter's worst case: in every
chunk). The timed part is what the page does: create the run, then the task body
(`run_execute`): read the requests through the ONE adapter, triage, write the decisions, save
progress per chunk. It runs `--repeat` times on the same data (median, best, worst); chunk
latencies are the gaps between progress saves; "engine alone" is the triage of the same cases
already in memory (the floor). No ANALYZE after loading: the plans must hold without
statistics. Goal: <= 10 s per backend.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 10.0


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geste.settings")
    import django

    django.setup()


def _populate(n: int) -> Any:
    """Migrate the (empty) database and fill it; returns the administrator who runs the what-if."""
    import random
    from datetime import UTC, date, datetime, timedelta
    from datetime import time as dtime
    from zoneinfo import ZoneInfo

    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from geste.clinic.models import Modality, Procedure, Role, Room, Site, User
    from geste.pathway.models import PENDING_STATES, ProcedureRequest, RequestState
    from geste.patients.models import Declaration, LabResult, MedicationDeclaration, Patient
    from geste.scheduling.models import Appointment, AppointmentKind

    paris = ZoneInfo("Europe/Paris")
    rng = random.Random(20260310)
    site = Site.objects.create(name="Bench", address="1 rue du Banc")
    rooms = [
        Room.objects.create(site=site, name=f"Salle {i}", modality=Modality.FLUOROSCOPY)
        for i in range(4)
    ]
    rads = [
        User.objects.create(username=f"radio{i}", role=Role.RADIOLOGIST, rpps=f"1000000000{i}")
        for i in range(4)
    ]
    admin = User.objects.create(username="bench-admin", role=Role.ADMINISTRATOR)
    n_patients = max(1, n // 5)
    Patient.objects.bulk_create(
        [
            Patient(
                last_name=f"Nom{i}",
                birth_name=f"Nom{i}",
                first_names="Prénom",
                birth_date=date(1930 + i % 70, 1 + i % 12, 1 + i % 28),
                sex="F" if i % 2 else "M",
            )
            for i in range(n_patients)
        ],
        batch_size=5000,
    )
    patient_ids = list(Patient.objects.values_list("pk", flat=True))
    procedures = list(Procedure.objects.all())
    states = sorted(PENDING_STATES)
    now = datetime.now(paris)
    flags = ("severe_pain", "neutropenia", "respiratory_signs", "threatening_lesion")
    ProcedureRequest.objects.bulk_create(
        [
            ProcedureRequest(
                patient_id=patient_ids[i % n_patients],
                procedure=procedures[i % len(procedures)],
                state=RequestState.PROCEDURE_BOOKED if i % 5 == 0 else states[i % len(states)],
                validated_at=now if i % 5 == 0 else None,
                lesion_count=1 + (i % 7 == 0),
                **{flag: rng.random() < 0.15 for flag in flags},
            )
            for i in range(n)
        ],
        batch_size=5000,
    )
    booked = list(
        ProcedureRequest.objects.filter(state=RequestState.PROCEDURE_BOOKED).values_list(
            "pk", "patient_id", "procedure_id"
        )
    )
    # UTC arithmetic: wall-clock steps in Europe/Paris would cross a daylight-saving change.
    base = datetime.combine(now.date() + timedelta(days=1), dtime(7, 0), tzinfo=UTC)
    # One room and one radiologist per lane; consecutive 30-minute slots never overlap.
    Appointment.objects.bulk_create(
        [
            Appointment(
                patient_id=patient_id,
                request_id=request_id,
                kind=AppointmentKind.PROCEDURE,
                procedure_id=procedure_id,
                room=rooms[i % 4],
                radiologist=rads[i % 4],
                start=base + timedelta(minutes=30 * (i // 4)),
                end=base + timedelta(minutes=30 * (i // 4) + 30),
            )
            for i, (request_id, patient_id, procedure_id) in enumerate(booked)
        ],
        batch_size=5000,
    )
    # Every patient answered the questionnaire yesterday (a tenth of them declare an
    # anticoagulant); a third also answered an older one (outside the freshness window);
    # half of them have a hemostasis result from last week.
    Declaration.objects.bulk_create(
        [
            Declaration(
                patient_id=pid,
                answered_at=now - timedelta(days=30 if old else 1),
                takes_anticoagulant=i % 10 == 0 and not old,
                allergies=["latex"] if i % 13 == 0 else [],
                fever=rng.random() < 0.05,
                current_infection=False,
                skin_lesion_at_site=False,
            )
            for i, pid in enumerate(patient_ids)
            for old in ((False, True) if i % 3 == 0 else (False,))
        ],
        batch_size=5000,
    )
    anticoagulated = Declaration.objects.filter(takes_anticoagulant=True).values_list(
        "pk", flat=True
    )
    MedicationDeclaration.objects.bulk_create(
        [
            MedicationDeclaration(
                declaration_id=pk,
                drug="Kardegic" if pk % 2 else "Eliquis",
                last_dose_at=now - timedelta(hours=12),
            )
            for pk in anticoagulated
        ],
        batch_size=5000,
    )
    LabResult.objects.bulk_create(
        [
            LabResult(
                patient_id=pid,
                sampled_at=now - timedelta(days=7),
                platelets_g_l=rng.choice([45.0, 180.0, 250.0]),
                inr=1.0,
            )
            for pid in patient_ids[::2]
        ],
        batch_size=5000,
    )
    return admin


def _measure(admin: Any, *, profile: bool = False) -> tuple[Any, float, list[float]]:
    """The timed part: what the page and the background task do. Returns the run, its
    seconds and the seconds of each chunk (read, triage, write, progress)."""
    from geste.crisis import whatif

    marks: list[float] = []
    flush = whatif._flush

    def timed_flush(*args: Any) -> None:  # bench-only probe: one clock read per chunk
        flush(*args)
        marks.append(time.perf_counter())

    whatif._flush = timed_flush  # type: ignore[assignment]
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    run = whatif.run_create(policy_id="covid19-aphp-2020", actor=admin, enqueue=False)
    run = whatif.run_execute(run.pk)
    elapsed = time.perf_counter() - started
    whatif._flush = flush  # type: ignore[assignment]
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    chunks = [b - a for a, b in zip([started, *marks], marks, strict=False)]
    return run, elapsed, chunks


def _engine_only() -> float:
    """Baseline in the same run: the triage alone over the same cases, already in memory."""
    from django.utils import timezone

    from geste.pathway.adapters import case_chunks
    from geste.pathway.models import PENDING_STATES, ProcedureRequest
    from geste.rules.policy import load_policy
    from geste.rules.triage import triage

    qs = ProcedureRequest.objects.filter(state__in=PENDING_STATES)
    cases = [item.case for chunk in case_chunks(qs, chunk_size=5000) for item in chunk]
    policy, today = load_policy("covid19-aphp-2020"), timezone.localdate()
    started = time.perf_counter()
    for case in cases:
        triage(case, policy, today)
    return time.perf_counter() - started


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def _child(n: int, *, repeat: int = 3, profile: bool = False) -> dict[str, Any]:
    """Runs inside a subprocess whose DATABASE_URL points at the scratch database. The
    what-if is run `repeat` times on the same data (a centre runs several): median reported."""
    _setup_django()
    from django.db import connection

    t0 = time.perf_counter()
    admin = _populate(n)
    setup_s = time.perf_counter() - t0
    timings, chunks = [], []
    for _ in range(repeat):
        run, elapsed, per_chunk = _measure(admin, profile=profile)
        timings.append(elapsed)
        chunks.extend(per_chunk)
    median = _pct(timings, 0.5)
    engine = _engine_only()
    return {
        "backend": connection.vendor,
        "n": run.processed,
        "status": run.status,
        "seconds": median,
        "best": min(timings),
        "worst": max(timings),
        "per_s": run.processed / median if median else 0.0,
        "chunk_ms": [round(1000 * _pct(chunks, q)) for q in (0.5, 0.95, 0.99)],
        "engine_s": engine,
        "setup_s": setup_s,
        "counts": run.counts,
        "freed_hours": round(sum(run.freed_minutes_by_week.values()) / 60, 1),
    }


def _spawn(url: str, n: int, repeat: int, profile: bool = False) -> dict[str, Any]:
    # Production-like settings (DEBUG off); a throwaway key for this scratch database only.
    env = {**os.environ, "DATABASE_URL": url, "GESTE_DEBUG": "0"}
    env.setdefault("GESTE_SECRET_KEY", "bench-whatif-scratch-database-only")
    env.pop("GESTE_TESTING", None)
    proc = subprocess.run(
        [
            *(sys.executable, __file__, "--child", "--n", str(n), "--repeat", str(repeat)),
            *(["--profile"] if profile else []),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=None if profile else subprocess.PIPE,  # the profile goes to the terminal
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError((proc.stderr or "")[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _postgres(pg_url: str, n: int, repeat: int, profile: bool) -> dict[str, Any]:
    import psycopg

    name = f"bench_whatif_{os.getpid()}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        return _spawn(pg_url.rsplit("/", 1)[0] + "/" + name, n, repeat, profile)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sqlite(n: int, repeat: int, profile: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="geste-bench-") as tmp:
        return _spawn(f"sqlite:///{tmp}/whatif.sqlite3", n, repeat, profile)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per backend")
    parser.add_argument("--profile", action="store_true", help="cProfile the timed part")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.n, repeat=args.repeat, profile=args.profile)))
        return 0
    print(
        f"what-if over {args.n:,} pending requests, end to end, median of {args.repeat} runs"
        f" (goal <= {GOAL_S:.0f} s)"
    )
    print(
        f"{'backend':<11}{'requests':>9}{'median s':>9}{'best':>7}{'worst':>7}{'req/s':>8}"
        f"{'goal':>8}  chunk p50/p95/p99 ms  engine alone (ratio)"
    )
    for backend in args.backends.split(","):
        if backend == "sqlite":
            r = _sqlite(args.n, args.repeat, args.profile)
        else:
            r = _postgres(args.pg_url, args.n, args.repeat, args.profile)
        ok = "met" if r["seconds"] <= GOAL_S else "MISSED"
        p50, p95, p99 = r["chunk_ms"]
        print(
            f"{r['backend']:<11}{r['n']:>9,}{r['seconds']:>9.2f}{r['best']:>7.2f}"
            f"{r['worst']:>7.2f}{r['per_s']:>8,.0f}{ok:>8}  {p50:>5}/{p95}/{p99:<9}"
            f"  {r['engine_s']:.2f} s (x{r['seconds'] / r['engine_s']:.0f})"
        )
        print(
            f"{'':<11}decisions {r['counts']}; freed {r['freed_hours']} room h;"
            f" data set-up {r['setup_s']:.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
