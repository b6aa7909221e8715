"""Benchmark: a crisis what-if over 100,000 pending requests, end to end, on SQLite and on
PostgreSQL in the same run (issue 6, point 8). Prints figures, asserts nothing.

    .venv/bin/python bench/whatif.py [--n 100000] [--backends sqlite,postgres]
        [--pg-url postgres://postgres@127.0.0.1:5432/postgres]

Each backend gets its own scratch database (a fresh SQLite file; a PostgreSQL database created
and dropped by this script), migrated, then filled with patients, pending requests in every
pending state (a fifth with a booked procedure appointment) and their questionnaires. The timed
part is what the page does: create the run, then the task body (`run_execute`): read the
requests through the ONE adapter, triage, bulk-write the decisions, save progress per chunk.
Goal: <= 10 s per backend.
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


def _child(n: int) -> dict[str, Any]:
    """Runs inside a subprocess whose DATABASE_URL points at the scratch database."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geste.settings")
    import random
    from datetime import UTC, date, datetime, timedelta
    from datetime import time as dtime
    from zoneinfo import ZoneInfo

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    from geste.clinic.models import Modality, Procedure, Role, Room, Site, User
    from geste.crisis.whatif import run_create, run_execute
    from geste.pathway.models import PENDING_STATES, ProcedureRequest, RequestState
    from geste.patients.models import Declaration, Patient
    from geste.scheduling.models import Appointment, AppointmentKind

    paris = ZoneInfo("Europe/Paris")
    rng = random.Random(20260310)
    t0 = time.perf_counter()
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
    Declaration.objects.bulk_create(
        [
            Declaration(
                patient_id=pid,
                answered_at=now - timedelta(days=1),
                takes_anticoagulant=False,
                fever=rng.random() < 0.05,
                current_infection=False,
                skin_lesion_at_site=False,
            )
            for pid in patient_ids
        ],
        batch_size=5000,
    )
    setup_s = time.perf_counter() - t0

    started = time.perf_counter()
    run = run_create(policy_id="covid19-aphp-2020", actor=admin, enqueue=False)
    run = run_execute(run.pk)
    elapsed = time.perf_counter() - started
    return {
        "backend": connection.vendor,
        "n": run.processed,
        "status": run.status,
        "seconds": elapsed,
        "per_s": run.processed / elapsed if elapsed else 0.0,
        "setup_s": setup_s,
        "counts": run.counts,
        "freed_hours": round(sum(run.freed_minutes_by_week.values()) / 60, 1),
    }


def _spawn(url: str, n: int) -> dict[str, Any]:
    # Production-like settings (DEBUG off); a throwaway key for this scratch database only.
    env = {**os.environ, "DATABASE_URL": url, "GESTE_DEBUG": "0"}
    env.setdefault("GESTE_SECRET_KEY", "bench-whatif-scratch-database-only")
    env.pop("GESTE_TESTING", None)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", "--n", str(n)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _postgres(pg_url: str, n: int) -> dict[str, Any]:
    import psycopg

    name = f"bench_whatif_{os.getpid()}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        return _spawn(pg_url.rsplit("/", 1)[0] + "/" + name, n)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sqlite(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="geste-bench-") as tmp:
        return _spawn(f"sqlite:///{tmp}/whatif.sqlite3", n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.n)))
        return 0
    print(f"what-if over {args.n:,} pending requests, end to end (goal <= {GOAL_S:.0f} s)")
    print(f"{'backend':<12}{'requests':>10}{'seconds':>10}{'req/s':>10}{'goal':>8}  decisions")
    for backend in args.backends.split(","):
        result = _sqlite(args.n) if backend == "sqlite" else _postgres(args.pg_url, args.n)
        ok = "met" if result["seconds"] <= GOAL_S else "MISSED"
        print(
            f"{result['backend']:<12}{result['n']:>10,}{result['seconds']:>10.2f}"
            f"{result['per_s']:>10,.0f}{ok:>8}  {result['counts']} "
            f"(freed {result['freed_hours']} room h; data set-up {result['setup_s']:.1f} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
