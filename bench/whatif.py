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

from _report import load, record

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 10.0


def _setup_django() -> None:
    # This script's folder holds bench/fhir.py, which would shadow the fhir package.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
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
    started, cpu_started = time.perf_counter(), time.process_time()
    run = whatif.run_create(policy_id="covid19-aphp-2020", actor=admin, enqueue=False)
    run = whatif.run_execute(run.pk)
    elapsed = time.perf_counter() - started
    run.bench_cpu_s = time.process_time() - cpu_started  # this process only
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


def _centre_hours() -> None:
    """Opening hours, rosters and skills for the bench centre (booking needs them)."""
    from datetime import time as dtime

    from geste.clinic.models import Procedure, Role, Room, User
    from geste.scheduling.models import OpeningHours, RadiologistSkill, RosterEntry

    for room in Room.objects.all():
        for weekday in range(5):
            OpeningHours.objects.create(
                room=room, weekday=weekday, start=dtime(8, 0), end=dtime(18, 0)
            )
    for rad in User.objects.filter(role=Role.RADIOLOGIST):
        for weekday in range(5):
            RosterEntry.objects.create(
                radiologist=rad, weekday=weekday, start=dtime(8, 0), end=dtime(18, 0)
            )
        for procedure in Procedure.objects.all():
            RadiologistSkill.objects.get_or_create(radiologist=rad, procedure=procedure)


def _pages_while(job_body: Any, urls: list[str], admin: Any) -> tuple[float, list[float]]:
    """Run `job_body` in a thread (the worker) while this thread reads `urls` in turn (a
    clinician watching); returns the job's seconds and every page's latency."""
    import threading

    from django.db import connection
    from django.test import Client

    result: dict[str, float] = {}

    def worker() -> None:
        started = time.perf_counter()
        try:
            job_body()
        finally:
            result["s"] = time.perf_counter() - started
            connection.close()

    client = Client()
    client.force_login(admin)
    latencies: list[float] = []
    thread = threading.Thread(target=worker)
    thread.start()
    i = 0
    while thread.is_alive():
        t = time.perf_counter()
        # Production settings: HTTPS only, known hosts.
        response = client.get(urls[i % len(urls)], secure=True, HTTP_HOST="127.0.0.1")
        latencies.append(time.perf_counter() - t)
        if response.status_code != 200:
            raise RuntimeError(f"{urls[i % len(urls)]}: {response.status_code}")
        i += 1
    thread.join()
    return result["s"], latencies


def _child_apply(n: int, accept: bool = True) -> dict[str, Any]:
    """Issue 11, point 10: apply n decisions in the background, then build and accept the
    recovery plan for the deferred ones, pages read all along."""
    _setup_django()
    from django.db import connection
    from django.urls import reverse

    from geste.crisis import jobs
    from geste.crisis.models import CrisisJob, Decision, JobKind, PolicyRun
    from geste.crisis.services import crisis_end, crisis_start
    from geste.pathway.models import ProcedureRequest

    admin = _populate(n)
    _centre_hours()
    # Every input answered (no decision "à compléter"): all of them may be applied in bulk.
    known = {
        "acute_arthritis": False,
        "crystal_arthritis": False,
        "local_tumor_control_needed": False,
        "bedrest_decline_risk": False,
        "urgent_diagnosis_needed": False,
        "intrathecal_chemotherapy": False,
        "level3_analgesics": "not_tried",
    }
    ProcedureRequest.objects.update(**known)
    for flag in ("severe_pain", "neutropenia", "respiratory_signs", "threatening_lesion"):
        ProcedureRequest.objects.filter(**{f"{flag}__isnull": True}).update(**{flag: False})
    crisis = crisis_start(policy_id="covid19-aphp-2020", actor=admin)
    run, whatif_s, _chunks = _measure(admin)
    run = PolicyRun.objects.get(pk=run.pk)
    to_apply = run.decisions.filter(outcome="", missing_inputs=[]).count()
    pages = [reverse("crisis:run", args=[run.pk]), reverse("crisis:home")]
    apply_s = 0.0
    latencies: list[float] = []
    for decision in Decision:
        job = jobs.job_create(kind=JobKind.APPLY, actor=admin, run=run, proposed=decision.value)
        seconds, lat = _pages_while(lambda job=job: jobs.job_execute(job.pk), pages, admin)
        apply_s += seconds
        latencies += lat
    applied = sum(
        CrisisJob.objects.get(pk=j).result["done"].get("applied", 0)
        for j in CrisisJob.objects.filter(kind=JobKind.APPLY).values_list("pk", flat=True)
    )
    crisis_end(crisis=crisis, actor=admin)
    create = jobs.job_create(kind=JobKind.PLAN_CREATE, actor=admin, total=3)
    create_s, lat_create = _pages_while(lambda: jobs.job_execute(create.pk), pages, admin)
    create.refresh_from_db()
    plan_id = create.result["plan"]
    plan_pages = [reverse("crisis:plan", args=[plan_id]), reverse("crisis:home")]
    from geste.crisis.models import RecoveryPlan

    plan = RecoveryPlan.objects.get(pk=plan_id)
    accept_s, lat_accept, accepted = 0.0, [0.0], {}
    if accept:
        job = jobs.job_create(kind=JobKind.PLAN_ACCEPT, actor=admin, plan=plan)
        accept_s, lat_accept = _pages_while(lambda: jobs.job_execute(job.pk), plan_pages, admin)
        job.refresh_from_db()
        accepted = job.result
    return {
        "backend": connection.vendor,
        "n": n,
        "whatif_s": whatif_s,
        "to_apply": to_apply,
        "applied": applied,
        "apply_s": apply_s,
        "apply_page_ms": [round(1000 * _pct(latencies, q)) for q in (0.5, 0.95)],
        "plan_items": plan.items.count(),
        "create_s": create_s,
        "create_page_ms": [round(1000 * _pct(lat_create, q)) for q in (0.5, 0.95)],
        "accept_s": accept_s,
        "booked": accepted.get("booked", 0),
        "failed": len(accepted.get("failed", [])),
        "accept_page_ms": [round(1000 * _pct(lat_accept, q)) for q in (0.5, 0.95)],
    }


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
    timings, chunks, cpu = [], [], []
    for _ in range(repeat):
        run, elapsed, per_chunk = _measure(admin, profile=profile)
        timings.append(elapsed)
        cpu.append(run.bench_cpu_s)
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
        "cpu_s": _pct(cpu, 0.5),
        "chunk_ms": [round(1000 * _pct(chunks, q)) for q in (0.5, 0.95, 0.99)],
        "engine_s": engine,
        "setup_s": setup_s,
        "counts": run.counts,
        "freed_hours": round(sum(run.freed_minutes_by_week.values()) / 60, 1),
    }


def _spawn(
    url: str,
    n: int,
    repeat: int,
    profile: bool = False,
    apply: bool = False,
    accept: bool = True,
) -> dict[str, Any]:
    # Production-like settings (DEBUG off); a throwaway key for this scratch database only.
    env = {**os.environ, "DATABASE_URL": url, "GESTE_DEBUG": "0"}
    env.setdefault("GESTE_SECRET_KEY", "bench-whatif-scratch-database-only")
    # The bench's staff session has no second factor (the pages' cost is what is measured).
    env.setdefault("GESTE_STAFF_2FA", "optional")
    env.pop("GESTE_TESTING", None)
    proc = subprocess.run(
        [
            *(sys.executable, __file__, "--child", "--n", str(n), "--repeat", str(repeat)),
            *(["--profile"] if profile else []),
            *(["--apply"] if apply else []),
            *(["--no-accept"] if apply and not accept else []),
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
    parser.add_argument(
        "--apply",
        action="store_true",
        help="issue 11: apply the decisions, build and accept the plan (background jobs), "
        "pages read meanwhile; use with --n 5000 --backends sqlite",
    )
    parser.add_argument("--no-accept", action="store_true", help="with --apply: stop at the plan")
    args = parser.parse_args()
    if args.child:
        body = (
            _child_apply(args.n, accept=not args.no_accept)
            if args.apply
            else _child(args.n, repeat=args.repeat, profile=args.profile)
        )
        print(json.dumps(body))
        return 0
    if args.apply:
        for backend in args.backends.split(","):
            with tempfile.TemporaryDirectory(prefix="geste-bench-") as tmp:
                url = f"sqlite:///{tmp}/apply.sqlite3"
                r = (
                    _spawn(url, args.n, 1, apply=True, accept=not args.no_accept)
                    if backend == "sqlite"
                    else None
                )
            if r is None:
                print(f"{backend}: --apply runs on sqlite only (not done on PostgreSQL)")
                continue
            print(
                f"{r['backend']}: {r['n']:,} requests; what-if {r['whatif_s']:.1f} s\n"
                f"  apply {r['applied']:,} of {r['to_apply']:,} decisions in the background: "
                f"{r['apply_s']:.1f} s (goal <= 60 s); run/home page p50/p95 meanwhile "
                f"{r['apply_page_ms'][0]}/{r['apply_page_ms'][1]} ms (goal p95 < 300 ms)\n"
                f"  plan creation for {r['plan_items']:,} requests: {r['create_s']:.1f} s; "
                f"pages p50/p95 {r['create_page_ms'][0]}/{r['create_page_ms'][1]} ms\n"
                f"  plan acceptance: {r['accept_s']:.1f} s (goal <= 120 s), {r['booked']:,} "
                f"booked, {r['failed']:,} not bookable; plan/home page p50/p95 "
                f"{r['accept_page_ms'][0]}/{r['accept_page_ms'][1]} ms"
            )
        return 0
    print(
        f"what-if over {args.n:,} pending requests, end to end, median of {args.repeat} runs"
        f" (goal <= {GOAL_S:.0f} s); load average {load()} on {os.cpu_count()} CPUs"
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
            f" data set-up {r['setup_s']:.1f} s; load average {load()}"
        )
        print(
            f"{'':<11}CPU time of the what-if's process (median): {r['cpu_s']:.2f} s"
            + (
                " (SQLite works in this process: all of it)"
                if backend == "sqlite"
                else " (the PostgreSQL server's own work left out)"
            )
        )
        record(
            "whatif",
            f"what-if over {r['n']:,} requests ({r['backend']}, median of {args.repeat})",
            round(r["seconds"], 2),
            "s",
            f"<= {GOAL_S:.0f} s",
            r["seconds"] <= GOAL_S,
            note=f"engine alone {r['engine_s']:.2f} s",
        )
        record(
            "whatif",
            f"what-if over {r['n']:,} requests ({r['backend']}), CPU time of its process",
            round(r["cpu_s"], 2),
            "s",
            f"<= {GOAL_S:.0f} s",
            r["cpu_s"] <= GOAL_S,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
