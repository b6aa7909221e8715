"""Booking benchmark against a real server process on PostgreSQL (issue 4, point 11).

What it does, bounded in count and time, on loopback only:
1. creates a fresh PostgreSQL database, migrates it, seeds 4 rooms (open weekdays 08:00-18:00),
   6 radiologists rostered every weekday and skilled for everything, 2,000 patients, and 32
   staff API tokens;
2. counts the SQL statements of one booking through the API (in process, as `--profile`);
3. starts `geste serve` (gunicorn, its default workers and threads for the core count) on a
   free loopback port;
4. 32 concurrent clients book consultations through `POST /api/v1/appointments` (bearer token,
   keep-alive), each a distinct free slot, plus 10% deliberate collisions on a slot already
   taken (they must answer 409): booking throughput and p50/p95/p99 latency;
5. slot search latency, `GET /api/v1/slots` over a 90-day horizon (first 5 options, the
   portal's "earliest" proposals; and every slot of a day), p50/p95/p99, by one client and by
   32 concurrent clients (goal: p95 < 50 ms with 32);
6. `pgbench -i` then `pgbench -c 32 -T 10` (TPC-B) on a scratch database of the same server,
   and the ratio bookings / pgbench TPS (goal: >= 20%); then `pgbench -c 1`: the commit rate of
   one stream of transactions, the bookings' ceiling when the disk is slow (every booking
   appends to the audit chain under one lock held until its commit);
7. checks the database for double bookings, then drops both databases; prints the load average
   (the figures are only comparable within one run on a shared machine).

    .venv/bin/python bench/booking.py [--bookings 3000] [--seconds 60] [--workers 4]
    .venv/bin/python bench/booking.py --profile    # one booking, in process, profiled

`--profile` seeds the same database, then books through the whole Django stack in one process
(WSGI handler, middleware, token authentication, django-ninja, the guarded service, commit and
the patient's message): the SQL statements of one booking (counted with CaptureQueriesContext
and listed), then cProfile over --profile-n bookings, saved to var/booking.prof (open it with
`python -m pstats var/booking.prof`) and its top 25 lines printed by cumulative time and by
own time; then the same for the slot search (statements listed, var/slots.prof, top 15).

Needs a local PostgreSQL (DATABASE_URL-style admin URL in GESTE_BENCH_PG, default
postgres://postgres@127.0.0.1:5432/postgres) and pgbench. Never asserts timings.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from geste import PARIS
from geste.cli import SERVE_THREADS, serve_workers

ROOT = Path(__file__).resolve().parent.parent
GESTE = str(ROOT / ".venv" / "bin" / "geste")
CLIENTS = 32
ADMIN_URL = os.environ.get("GESTE_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")

SEED = r"""
import json
from datetime import time
from geste.api.models import ApiToken
from geste.clinic.models import Modality, Procedure, Role, Room, Site, User
from geste.patients.models import Patient
from geste.scheduling.models import OpeningHours, RadiologistSkill, RosterEntry
from datetime import date
site = Site.objects.create(name="Bench", address="1 rue du Banc")
rooms = [Room.objects.create(site=site, name=f"Salle {i}", modality=Modality.FLUOROSCOPY)
         for i in range(1, 5)]
for room in rooms:
    for d in range(5):
        OpeningHours.objects.create(room=room, weekday=d, start=time(8), end=time(18))
rads = []
for i in range(6):
    u = User.objects.create_user(username=f"radio{i}", role=Role.RADIOLOGIST, rpps=f"1000000000{i}")
    rads.append(u)
    for d in range(5):
        RosterEntry.objects.create(radiologist=u, weekday=d, start=time(8), end=time(18))
    for p in Procedure.objects.all():
        RadiologistSkill.objects.create(radiologist=u, procedure=p)
Patient.objects.bulk_create([
    Patient(last_name=f"Banc{i}", birth_name=f"Banc{i}", first_names="P",
            birth_date=date(1960, 1, 1), sex="F") for i in range(2000)])
from django.utils import timezone
from geste.pathway.models import ProcedureRequest, RequestState
codes = ["facet_infiltration", "epidural_infiltration", "bone_biopsy", "vertebroplasty_benign"]
by_code = {c: Procedure.objects.get(code=c) for c in codes}
first = list(Patient.objects.order_by("pk")[:400])
ProcedureRequest.objects.bulk_create([
    ProcedureRequest(patient=p, procedure=by_code[codes[i % 4]], state=RequestState.VALIDATED,
                     validated_at=timezone.now()) for i, p in enumerate(first)])
validated = {c: [p.pk for i, p in enumerate(first) if codes[i % 4] == c] for c in codes}
tokens = []
for i in range(32):
    u = User.objects.create_user(username=f"accueil{i}", role=Role.RECEPTIONIST)
    tokens.append(ApiToken.issue(u)[1])
print("SEED" + json.dumps({
    "rooms": [r.pk for r in rooms], "rads": [u.pk for u in rads], "tokens": tokens,
    "patients": list(Patient.objects.order_by("pk").values_list("pk", flat=True)),
    "validated": validated,
}))
"""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def psql(sql: str) -> None:
    subprocess.run(["psql", ADMIN_URL, "-q", "-c", sql], check=True, capture_output=True)


def db_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def slot_plan(
    rooms: list[int], rads: list[int], patients: list[int], n: int, after_days: int = 2
) -> list[dict]:
    """n distinct consultation slots (room, radiologist, patient never overlap), shuffled."""
    import holidays

    closed = holidays.country_holidays("FR", years=range(2020, 2040))
    plan = []
    day = datetime.now(PARIS).date() + timedelta(days=after_days)
    k = 0
    while len(plan) < n:
        if day.weekday() < 5 and day not in closed:
            for minute in range(0, 600, 20):
                start = datetime(day.year, day.month, day.day, 8, tzinfo=PARIS) + timedelta(
                    minutes=minute
                )
                for r, room in enumerate(rooms):
                    plan.append(
                        {
                            "patient": patients[k % len(patients)],
                            "kind": "consultation",
                            "procedure": "facet_infiltration",
                            "start": start.isoformat(),
                            "room": room,
                            "radiologist": rads[(r + day.toordinal()) % len(rads)],
                        }
                    )
                    k += 1
        day += timedelta(days=1)
    plan = plan[:n]
    random.Random(7).shuffle(plan)
    return plan


class Client:
    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body)
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=self.headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")


def run_bookings(port: int, seed: dict, total: int, seconds: float) -> float:
    plan = slot_plan(seed["rooms"], seed["rads"], seed["patients"], total)
    lock = threading.Lock()
    cursor = iter(range(len(plan)))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    done_ok: list[dict] = []
    deadline = time.monotonic() + seconds
    rng = random.Random(3)

    def worker(token: str) -> None:
        client = Client(port, token)
        while time.monotonic() < deadline:
            with lock:
                i = next(cursor, None)
                collide = done_ok and rng.random() < 0.10
                body = dict(rng.choice(done_ok)) if collide else None
            if i is None:
                return
            if body is None:
                body = plan[i]
            else:
                body["patient"] = plan[i]["patient"]
            t0 = time.perf_counter()
            status, _ = client.request("POST", "/api/v1/appointments", body)
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201 and not collide:
                    done_ok.append(body)

    threads = [threading.Thread(target=worker, args=(t,)) for t in seed["tokens"][:CLIENTS]]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    booked = statuses.get(201, 0)
    print(f"bookings: {sum(statuses.values())} requests in {wall:.1f} s, statuses {statuses}")
    print(
        f"booking throughput: {booked / wall:.1f} bookings/s ({sum(statuses.values()) / wall:.1f}"
        f" requests/s); latency ms p50 {pct(latencies, 50):.1f} p95 {pct(latencies, 95):.1f}"
        f" p99 {pct(latencies, 99):.1f}"
    )
    return booked / wall


def search_paths(seed: dict, queries: int, span: int = 90, limit: int = 5) -> list[str]:
    """`queries` slot searches (half consultations, half procedures for a patient whose
    request is validated), from today to 30 days ahead over `span` days."""
    codes = ["facet_infiltration", "epidural_infiltration", "bone_biopsy", "vertebroplasty_benign"]
    today = datetime.now(PARIS).date()
    rng = random.Random(11)
    paths = []
    for _ in range(queries):
        start = today + timedelta(days=rng.randint(0, 30 if span else 60))
        end = start + timedelta(days=span)
        kind, code = rng.choice(["consultation", "procedure"]), rng.choice(codes)
        path = f"/api/v1/slots?procedure={code}&kind={kind}&start={start}&end={end}&limit={limit}"
        if kind == "procedure":  # prerequisites are per patient: one with a validated request
            path += f"&patient={rng.choice(seed['validated'][code])}"
        paths.append(path)
    return paths


def run_slot_search(port: int, seed: dict, queries: int, clients: int = 1) -> float:
    """Slot searches by `clients` concurrent clients (`queries` of each kind in all); prints
    p50/p95/p99 and returns the p95 of the 90-day "earliest 5" search."""
    p95 = 0.0
    for label, span, limit in (
        ("earliest 5, 90-day horizon", 90, 5),
        ("all slots of a day", 0, 1000),
    ):
        paths = search_paths(seed, queries, span, limit)
        lat: list[float] = []
        lock = threading.Lock()
        todo = iter(paths)

        def worker(token: str, lat: list[float] = lat, todo: Any = todo, lock: Any = lock) -> None:
            client = Client(port, token)
            while True:
                with lock:
                    path = next(todo, None)
                if path is None:
                    return
                t0 = time.perf_counter()
                status, body = client.request("GET", path)
                elapsed = (time.perf_counter() - t0) * 1000
                assert status == 200, body[:200]
                with lock:
                    lat.append(elapsed)

        threads = [threading.Thread(target=worker, args=(t,)) for t in seed["tokens"][:clients]]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        print(
            f"slot search ({label}, {clients} client{'s' if clients > 1 else ''}): {queries}"
            f" queries in {wall:.1f} s ({queries / wall:.0f}/s), ms p50 {pct(lat, 50):.1f}"
            f" p95 {pct(lat, 95):.1f} p99 {pct(lat, 99):.1f}"
        )
        if span:
            p95 = pct(lat, 95)
    return p95


PREBOOK = r"""
import json, sys
from datetime import datetime, timedelta
from geste.clinic.models import Procedure
from geste.scheduling.models import Appointment
plan = json.load(sys.stdin)
p = Procedure.objects.get(code="facet_infiltration")
Appointment.objects.bulk_create([
    Appointment(patient_id=x["patient"], kind="consultation", procedure=p, room_id=x["room"],
                radiologist_id=x["radiologist"], start=datetime.fromisoformat(x["start"]),
                end=datetime.fromisoformat(x["start"]) + timedelta(minutes=20))
    for x in plan])
"""


def prebook(env: dict, seed: dict, n: int) -> None:
    """The state a booking run leaves (n consultations), inserted directly."""
    plan = slot_plan(seed["rooms"], seed["rads"], seed["patients"], n)
    subprocess.run(
        [GESTE, "manage", "shell", "-c", PREBOOK],
        env=env,
        input=json.dumps(plan),
        text=True,
        check=True,
        capture_output=True,
    )
    print(f"pre-booked {n} consultations directly in the database")


PROFILE = r"""
import cProfile, io, json, os, pstats, sys, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
data = json.load(sys.stdin)
plan, token, n = data["plan"], data["token"], data["n"]
client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
def book(body):
    response = client.post("/api/v1/appointments", body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]
for body in plan[:5]:  # warm: imports, caches, prepared connection
    book(body)
with CaptureQueriesContext(connection) as ctx:
    book(plan[5])
print(f"QUERIES {len(ctx.captured_queries)} SQL statements for one booking through the API:")
for q in ctx.captured_queries:
    print("   ", " ".join(q["sql"].split())[:150])
if not n:
    raise SystemExit(0)
profiler = cProfile.Profile()
t0 = time.perf_counter()
profiler.enable()
for body in plan[6 : 6 + n]:
    book(body)
profiler.disable()
wall = (time.perf_counter() - t0) * 1000 / n
os.makedirs("var", exist_ok=True)
profiler.dump_stats("var/booking.prof")
print(f"PROFILE {n} bookings in process, {wall:.1f} ms each (wall, profiler on);"
      " saved to var/booking.prof")
for order in ("cumulative", "tottime"):
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(order).print_stats(25)
    text = out.getvalue()
    print(f"--- top 25 by {order} (times for {n} bookings) ---")
    print(text[text.index("   ncalls"):].rstrip())
# The slot search (GET /api/v1/slots, earliest 5 over 90 days, a procedure for a patient).
search = data["search"]
with CaptureQueriesContext(connection) as ctx:
    response = client.get(search[0])
    assert response.status_code == 200, response.content[:300]
print(f"QUERIES {len(ctx.captured_queries)} SQL statements for one slot search:")
for q in ctx.captured_queries:
    print("   ", " ".join(q["sql"].split())[:150])
profiler = cProfile.Profile()
t0 = time.perf_counter()
profiler.enable()
for path in search:
    client.get(path)
profiler.disable()
wall = (time.perf_counter() - t0) * 1000 / len(search)
profiler.dump_stats("var/slots.prof")
print(f"PROFILE {len(search)} slot searches in process, {wall:.1f} ms each (profiler on);"
      " saved to var/slots.prof")
out = io.StringIO()
pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(r"geste/", 15)
text = out.getvalue()
print(f"--- top 15 geste functions by cumulative (times for {len(search)} searches) ---")
print(text[text.index("   ncalls"):].rstrip())
"""


def run_profile(env: dict, seed: dict, n: int) -> int:
    """Print the statements of one booking (and with n > 0 the profile); return their count.
    Its slots are 300 days ahead, away from the load run's."""
    plan = slot_plan(seed["rooms"], seed["rads"], seed["patients"], n + 6, after_days=300)
    out = subprocess.run(
        [GESTE, "manage", "shell", "-c", PROFILE],
        env=env,
        input=json.dumps(
            {"plan": plan, "token": seed["tokens"][0], "n": n, "search": search_paths(seed, 50)}
        ),
        text=True,
        check=True,
        capture_output=True,
        cwd=ROOT,
    ).stdout
    if n:
        print(out.rstrip())
    return int(re.search(r"QUERIES (\d+)", out).group(1))


def server_command(port: int, workers: int, threads: int) -> list[str]:
    return [
        GESTE,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]


def run_pgbench(name: str) -> tuple[float, float]:
    """TPC-B TPS with CLIENTS clients, then with one: the commit rate of a single stream of
    transactions, each waiting for its own flush to disk. Every booking appends to the audit
    chain under one lock held until its commit, so bookings commit one after another: that
    rate is their ceiling (reached when the disk is slow; with a fast disk the server's CPU
    limits first)."""
    url = db_url(name)
    subprocess.run(["pgbench", "-i", "-q", "-s", "10", url], check=True, capture_output=True)
    tps = []
    for clients, seconds in ((CLIENTS, 10), (1, 5)):
        out = subprocess.run(
            ["pgbench", "-c", str(clients), "-j", str(min(4, clients)), "-T", str(seconds), url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        tps.append(float(re.search(r"tps = ([\d.]+)", out).group(1)))
        print(f"pgbench TPC-B (scale 10, {clients} client(s), {seconds} s): {tps[-1]:.0f} TPS")
    return tps[0], tps[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--workers", type=int, default=serve_workers(), help="default: geste serve's (per core)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=SERVE_THREADS,
        help=f"threads per worker (`geste serve --threads`, default {SERVE_THREADS})",
    )
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--slots-only",
        action="store_true",
        help="skip the booking run and pgbench: insert --bookings appointments directly, then"
        " measure slot search only",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="no server, no pgbench: SQL statements of one booking, then cProfile of"
        " --profile-n bookings in process (var/booking.prof, top 25 printed)",
    )
    parser.add_argument("--profile-n", type=int, default=50)
    args = parser.parse_args()
    tag = f"{os.getpid()}"
    app_db, scratch = f"geste_bench_{tag}", f"geste_pgbench_{tag}"
    psql(f"CREATE DATABASE {app_db}")
    psql(f"CREATE DATABASE {scratch}")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url(app_db),
        "GESTE_SECRET_KEY": "bench-only-" + tag,
        "GESTE_DEBUG": "0",
        "GESTE_ALLOWED_HOSTS": "127.0.0.1",
        "GESTE_LOG_LEVEL": "ERROR",
        "GESTE_TASKS_BACKEND": "django_tasks.backends.dummy.DummyBackend",
        # A production server refuses console backends, redirects to HTTPS and rate-limits the
        # API: a loopback benchmark sends nothing, speaks plain HTTP and must not be throttled.
        "GESTE_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "GESTE_SMS_BACKEND": "geste.clinic.sms.DisabledSmsBackend",
        "GESTE_SSL_REDIRECT": "0",
        "GESTE_SECURE_COOKIES": "0",
        "GESTE_RATE_API": "1000000/m",
    }
    server = None
    try:
        subprocess.run([GESTE, "manage", "migrate", "-v", "0"], env=env, check=True)
        out = subprocess.run(
            [GESTE, "manage", "shell", "-c", SEED],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        seed = json.loads(out[out.index("SEED") + 4 :].strip())
        print(f"seeded: 4 rooms, 6 radiologists, {len(seed['patients'])} patients, 32 tokens")
        if args.profile:
            run_profile(env, seed, args.profile_n)
            print(f"load average (1, 5, 15 min): {os.getloadavg()}")
            return 0
        queries = 0 if args.slots_only else run_profile(env, seed, 0)
        if args.slots_only:
            prebook(env, seed, args.bookings)
        server = subprocess.Popen(
            server_command(port, args.workers, args.threads),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(100):
            try:
                status, _ = Client(port, seed["tokens"][0]).request("GET", "/api/v1/whoami")
                if status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("server did not start")
        print(
            f"server: geste serve on 127.0.0.1:{port},"
            f" {args.workers} gunicorn workers x {args.threads} threads"
        )
        if args.slots_only:
            run_slot_search(port, seed, args.queries)
            p95 = run_slot_search(port, seed, args.queries, CLIENTS)
            print(
                f"slot search p95 with {CLIENTS} clients: {p95:.1f} ms (goal < 50 ms:"
                f" {'met' if p95 < 50 else 'NOT met'})"
            )
            return 0
        bookings_per_s = run_bookings(port, seed, args.bookings, args.seconds)
        run_slot_search(port, seed, args.queries)  # one client: the search alone
        p95 = run_slot_search(port, seed, args.queries, CLIENTS)
        tps, one_stream = run_pgbench(scratch)
        check = subprocess.run(
            [
                "psql",
                db_url(app_db),
                "-tA",
                "-c",
                "SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b "
                "ON a.id < b.id AND a.status IN ('booked','checked_in','done') "
                "AND b.status IN ('booked','checked_in','done') AND a.start < b.\"end\" "
                'AND b.start < a."end" AND (a.room_id = b.room_id OR '
                "a.radiologist_id = b.radiologist_id OR a.patient_id = b.patient_id)",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        print(f"double bookings found in the database: {check.stdout.strip()}")
        ratio = bookings_per_s / tps
        print(
            f"ratio bookings/pgbench TPS: {ratio:.1%} (goal >= 20%: "
            f"{'met' if ratio >= 0.2 else 'NOT met'})"
        )
        print(
            f"ratio bookings/pgbench TPS with one client (serialised commits): "
            f"{bookings_per_s / one_stream:.0%}"
        )
        print(
            f"slot search p95 with {CLIENTS} clients: {p95:.1f} ms (goal < 50 ms:"
            f" {'met' if p95 < 50 else 'NOT met'})"
        )
        print(f"SQL statements per booking through the API: {queries}")
        print(f"load average (1, 5, 15 min): {os.getloadavg()}, {os.cpu_count()} cores")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        time.sleep(0.5)
        psql(f"DROP DATABASE IF EXISTS {app_db} WITH (FORCE)")
        psql(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
