"""Every staff page that shows a day, with 1,000 procedure appointments that day (issue 16:
p95 < 150 ms, with a query count that does not grow with the day).

Pages: reception arrivals, technologist worklist (with its cabins), radiologist dashboard
(the engine's verdict per request), each as shown first and with "Tout afficher" (every row);
the radiologist's home (the day's procedures listed whole), the planner (day and week) and the
radiologist's agenda (his week).

Each backend gets a scratch database (a fresh SQLite file; a PostgreSQL database created and
dropped here), migrated, in a child process with production settings (DEBUG off, HTTPS, known
host; no second factor for the bench's sessions). The day holds 10 appointments first (the
baseline, measured in the same run), then 1,000: a few dozen patients arrived (some in a
cabin), consultations, decisions to take, reports to sign. Each page is rendered `--repeat`
times through Django's test client, logged in as the right role: p50/p95/p99 in ms, the
ratio to the same page at 10 appointments, and its SQL queries at 10 and at 1,000 (flat: the
same count). Never asserts timings.

    .venv/bin/python bench/worklist.py [--n 1000] [--repeat 30] [--backends sqlite,postgres]
    .venv/bin/python bench/worklist.py --profile dashboard   # cProfile one page, top 30
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
GOAL_MS = 150.0

# label, role, url name, query string
PAGES = (
    ("reception", "reception", "staff:reception", ""),
    ("reception (all)", "reception", "staff:reception", "?tout=1"),
    ("tech worklist", "technologist", "staff:tech_worklist", ""),
    ("tech worklist (all)", "technologist", "staff:tech_worklist", "?tout=1"),
    ("dashboard", "radiologist", "staff:dashboard", ""),
    ("dashboard (all)", "radiologist", "staff:dashboard", "?tout=1"),
    ("radiologist home", "radiologist", "staff:home", ""),
    ("planner day", "reception", "staff:planner", "?jour={day}"),
    ("planner week", "reception", "staff:planner", "?jour={day}&vue=semaine"),
    ("agenda (week)", "radiologist", "staff:agenda", "?jour={day}"),
)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _setup_django() -> None:
    # This folder holds bench/fhir.py, which would shadow the fhir package.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT))  # tests.pathway.bulk fills the day
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geste.settings")
    import django

    django.setup()


def _populate_extra(day: Any, radiologist: Any) -> None:
    """What a real day also holds: arrived patients (some in a cabin), consultations, decisions
    to take and reports to sign (the radiologist's lists)."""
    from datetime import datetime, timedelta
    from datetime import time as dtime

    from django.utils import timezone
    from tests.pathway.factories import room

    from geste import PARIS
    from geste.clinic.models import Cabin, Procedure, Site
    from geste.pathway.models import CabinAssignment, ProcedureRequest, RequestState
    from geste.patients.models import Patient
    from geste.scheduling.models import Appointment, AppointmentKind

    site = Site.objects.first()
    cabins = [Cabin.objects.create(site=site, name=f"Cabine {i}") for i in range(1, 7)]
    booked = ProcedureRequest.objects.filter(state=RequestState.PROCEDURE_BOOKED).order_by("pk")
    arrived = list(booked.values_list("pk", flat=True)[:30])
    ProcedureRequest.objects.filter(pk__in=arrived).update(state=RequestState.CHECKED_IN)
    for cabin, request_id in zip(cabins[:3], arrived, strict=False):
        CabinAssignment.objects.create(
            cabin=cabin, request_id=request_id, assigned_at=timezone.now()
        )
    proc = Procedure.objects.get(code="facet_infiltration")
    patients = list(Patient.objects.order_by("pk")[:60])
    for state in (RequestState.CONSULTATION_DONE, RequestState.PERFORMED):
        ProcedureRequest.objects.bulk_create(
            ProcedureRequest(patient=p, procedure=proc, state=state) for p in patients
        )
    consult = list(
        ProcedureRequest.objects.filter(state=RequestState.CONSULTATION_DONE).order_by("pk")[:40]
    )
    start = datetime.combine(day, dtime(7, 0), tzinfo=PARIS)
    Appointment.objects.bulk_create(
        Appointment(
            patient_id=r.patient_id,
            request=r,
            kind=AppointmentKind.CONSULTATION,
            procedure=proc,
            room=room(),
            radiologist=radiologist,
            # Between the procedures' 30-second slots (they start every 40 seconds).
            start=start + timedelta(seconds=40 * (2000 + i)),
            end=start + timedelta(seconds=40 * (2000 + i) + 30),
        )
        for i, r in enumerate(consult)
    )


def _child(n: int, repeat: int, profile: str) -> dict[str, Any]:
    _setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone
    from tests.factories import make_user
    from tests.pathway.bulk import fill_day

    from geste.clinic.models import Role

    call_command("migrate", interactive=False, verbosity=0)
    users = {
        "reception": make_user("b-rec", Role.RECEPTIONIST),
        "technologist": make_user("b-tech", Role.TECHNOLOGIST),
        "radiologist": make_user("b-rad", Role.RADIOLOGIST, first_name="A", last_name="B"),
    }
    clients = {}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    day = timezone.localdate()

    def get(client: Any, url: str) -> Any:
        # Production settings: HTTPS only, known hosts.
        response = client.get(url, secure=True, HTTP_HOST="127.0.0.1")
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        return response

    import gc

    paused = [0.0, 0.0]  # collector: running total (ms), start of the current pass

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            paused[1] = time.perf_counter()
        else:
            paused[0] += (time.perf_counter() - paused[1]) * 1000

    gc.callbacks.append(on_gc)

    def measure(times: int) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for label, role, name, query in PAGES:
            client = clients[role]
            url = reverse(name) + query.format(day=day.isoformat())
            get(client, url)  # warm-up (templates, caches, the session's first write)
            with CaptureQueriesContext(connection) as queries:
                body = get(client, url).content
            count = len(queries)  # now: the next requests clear the connection's log
            samples, cpu = [], []
            gc_before = paused[0]
            for _ in range(times):
                t0, c0 = time.perf_counter(), time.process_time()
                get(client, url)
                samples.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            out[label] = {
                "ms": samples,
                "cpu": cpu,
                "gc": (paused[0] - gc_before) / times,
                "queries": count,
                "kb": len(body) // 1024,
            }
        return out

    fill_day(day, 10, users["radiologist"])
    base = measure(max(5, repeat // 3))
    fill_day(day, n - 10, users["radiologist"])
    _populate_extra(day, users["radiologist"])
    # What geste.wsgi does when a server starts: start-up objects set aside from the collector.
    gc.collect()
    gc.freeze()
    if profile:
        import cProfile
        import pstats

        label, role, name, query = next(p for p in PAGES if p[0] == profile)
        url = reverse(name) + query.format(day=day.isoformat())
        get(clients[role], url)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            get(clients[role], url)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
    big = measure(repeat)
    pages = {}
    for label, data in big.items():
        ms = data["ms"]
        b50 = _pct(base[label]["ms"], 50)
        pages[label] = {
            "p50": _pct(ms, 50),
            "p95": _pct(ms, 95),
            "p99": _pct(ms, 99),
            "cpu50": _pct(data["cpu"], 50),
            "cpu95": _pct(data["cpu"], 95),
            "gc": data["gc"],
            "base_p50": b50,
            "queries": data["queries"],
            "base_queries": base[label]["queries"],
            "kb": data["kb"],
        }
    return {"backend": connection.vendor, "pages": pages}


def _spawn(url: str, n: int, repeat: int, profile: str) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": url, "GESTE_DEBUG": "0"}
    env.setdefault("GESTE_SECRET_KEY", "bench-worklist-scratch-database-only")
    env.setdefault("GESTE_STAFF_2FA", "optional")
    env.pop("GESTE_TESTING", None)
    cmd = [sys.executable, __file__, "--child", "--n", str(n), "--repeat", str(repeat)]
    proc = subprocess.run(
        [*cmd, *(["--profile", profile] if profile else [])],
        env=env,
        stdout=subprocess.PIPE,
        stderr=None if profile else subprocess.PIPE,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError((proc.stderr or "")[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _run_backend(backend: str, pg_url: str, n: int, repeat: int, profile: str) -> dict[str, Any]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="geste-bench-") as tmp:
            return _spawn(f"sqlite:///{tmp}/worklist.sqlite3", n, repeat, profile)
    import psycopg

    name = f"bench_worklist_{os.getpid()}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        return _spawn(pg_url.rsplit("/", 1)[0] + "/" + name, n, repeat, profile)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--profile", default="", help="a page label: cProfile it (stderr)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.n, args.repeat, args.profile)))
        return 0
    print(
        f"staff day pages, {args.n:,} procedure appointments today, {args.repeat} renders each "
        f"(goal p95 < {GOAL_MS:.0f} ms, flat query count); load average {load()} "
        f"on {os.cpu_count()} CPUs"
    )
    for backend in args.backends.split(","):
        r = _run_backend(backend, args.pg_url, args.n, args.repeat, args.profile)
        print(f"\n{r['backend']}: (default pages show arrivals and the next 40 patients)")
        print(
            f"{'page':<22}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'p50@10':>8}{'ratio':>7}"
            f"{'cpu p50':>8}{'p95':>6}{'gc':>5}{'queries@10/@' + str(args.n):>18}{'KB':>5}  goal"
        )
        worst = ("", 0.0)
        flat = True
        for label, p in r["pages"].items():
            ok = p["p95"] < GOAL_MS
            same = p["queries"] == p["base_queries"]
            flat = flat and same
            if p["p95"] > worst[1]:
                worst = (label, p["p95"])
            print(
                f"{label:<22}{p['p50']:8.1f}{p['p95']:8.1f}{p['p99']:8.1f}{p['base_p50']:8.1f}"
                f"{p['p50'] / p['base_p50']:7.1f}{p['cpu50']:8.1f}{p['cpu95']:6.0f}{p['gc']:5.0f}"
                f"{str(p['base_queries']) + '/' + str(p['queries']):>18}{p['kb']:>5}"
                f"  {'met' if ok else 'NOT met'}{'' if same else ' (queries grow)'}"
            )
        print(f"slowest page: {worst[0]}, p95 {worst[1]:.1f} ms; load average {load()}")
        record(
            "worklist",
            f"day pages, slowest p95 ({r['backend']})",
            round(worst[1], 1),
            "ms",
            f"< {GOAL_MS:.0f} ms",
            worst[1] < GOAL_MS,
            note=worst[0],
        )
        cpu_worst = max(r["pages"].items(), key=lambda item: item[1]["cpu95"])
        record(
            "worklist",
            f"day pages, slowest CPU-time p95 ({r['backend']})",
            round(cpu_worst[1]["cpu95"], 1),
            "ms",
            f"< {GOAL_MS:.0f} ms",
            cpu_worst[1]["cpu95"] < GOAL_MS,
            note=cpu_worst[0],
        )
        record(
            "worklist",
            f"day pages, query count 10 vs {args.n} ({r['backend']})",
            None,
            "",
            "flat",
            flat,
            note="flat" if flat else "grows",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
