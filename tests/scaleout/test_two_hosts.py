"""Two hosts, one PostgreSQL (issue 16, part 3; README "More than one machine").

Runs on this machine what two machines would: two `geste serve` processes (host A and host B,
each on its own port) and two task workers (`db_worker --worker-id host-a|host-b`), against
one fresh PostgreSQL database, uploads in an S3 bucket (moto's S3 server on loopback), the
database cache, sessions in the database, GESTE_MULTI_HOST=1 (so `geste serve` runs the
multi-host deploy checks and would refuse local files or a per-process cache). Then:

- a receptionist books through A; B answers 409 for the same slot and no longer offers it;
- a document uploaded through B is in the bucket (and not on local disk), and A serves it,
  byte for byte, through its authorised view;
- a what-if started through A is run by exactly one of the workers and read through B;
- the reminder tick run by both hosts at once sends each reminder once; while another host
  holds its lock, a host's tick does nothing.

PostgreSQL only (deselected on SQLite like the other `postgres` tests).
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from geste import PARIS
from geste.clinic.locks import NAMESPACE, lock_key

pytestmark = pytest.mark.postgres

GESTE = str(Path(sys.executable).with_name("geste"))
BUCKET = "geste-scaleout"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TICK_APPOINTMENTS = 12
WORKER = [GESTE, "manage", "db_worker", "--interval", "0.2", "--no-reload", "--worker-id"]

SEED = r"""
import json
from django.core.management import call_command
call_command("migrate", verbosity=0)
from datetime import date, datetime, time, timedelta
from django.test import Client
from django.utils import timezone
from geste import PARIS
from geste.api.models import ApiToken
from geste.clinic.models import Modality, Procedure, Role, Room, Site, User
from geste.pathway.models import ProcedureRequest, RequestState
from geste.patients.models import Patient
from geste.rules.policy import available_policies
from geste.scheduling.models import Appointment, OpeningHours, RadiologistSkill, RosterEntry
site = Site.objects.create(name="Deux hôtes", address="1 rue du Réseau")
room = Room.objects.create(site=site, name="Salle 1", modality=Modality.FLUOROSCOPY)
for d in range(7):
    OpeningHours.objects.create(room=room, weekday=d, start=time(8), end=time(18))
radio = User.objects.create_user(username="radio", role=Role.RADIOLOGIST, rpps="10000000001")
for d in range(7):
    RosterEntry.objects.create(radiologist=radio, weekday=d, start=time(8), end=time(18))
for p in Procedure.objects.all():
    RadiologistSkill.objects.create(radiologist=radio, procedure=p)
reception = User.objects.create_user(username="accueil", role=Role.RECEPTIONIST)
chef = User.objects.create_user(username="chef", role=Role.ADMINISTRATOR)
patients = [
    Patient.objects.create(last_name=f"Hote{i}", birth_name=f"Hote{i}", first_names="P",
                           birth_date=date(1960, 1, 1), sex="F", email=f"p{i}@example.org")
    for i in range(TICK + 1)
]
facet = Procedure.objects.get(code="facet_infiltration")
req = ProcedureRequest.objects.create(patient=patients[0], procedure=facet,
                                      state=RequestState.VALIDATED, validated_at=timezone.now())
tomorrow = timezone.localdate() + timedelta(days=1)
Appointment.objects.bulk_create([
    Appointment(patient=p, kind="consultation", procedure=facet, room=room, radiologist=radio,
                start=datetime.combine(tomorrow, time(8), PARIS) + timedelta(minutes=20 * i),
                end=datetime.combine(tomorrow, time(8, 20), PARIS) + timedelta(minutes=20 * i))
    for i, p in enumerate(patients[1:])])
client = Client()
client.force_login(chef)
print("SEED" + json.dumps({
    "room": room.pk, "radio": radio.pk, "patient": patients[0].pk, "request": req.pk,
    "token": ApiToken.issue(reception)[1], "session": client.cookies["sessionid"].value,
    "policy": available_policies()[0],
}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Host:
    name: str
    port: int
    token: str
    session: str
    csrf: str = field(default_factory=lambda: secrets.token_hex(16))  # 32 characters

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        headers: dict[str, str] | None = None,
        api: bool = False,
    ) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = dict(headers or {})
        if api:
            sent["Authorization"] = f"Bearer {self.token}"
        else:  # a staff browser: the session cookie (shared, in the database) and CSRF
            sent["Cookie"] = f"sessionid={self.session}; csrftoken={self.csrf}"
            sent["X-CSRFToken"] = self.csrf
        try:
            conn.request(method, path, body=body, headers=sent)
            raw = conn.getresponse()
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, raw.read())
        finally:
            conn.close()

    def api(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Response:
        body = None if payload is None else json.dumps(payload).encode()
        return self.request(
            method, path, body, headers={"Content-Type": "application/json"}, api=True
        )


@dataclass
class Cluster:
    a: Host
    b: Host
    env: dict[str, str]
    dsn: str
    seed: dict[str, Any]
    var_dir: Path
    s3: Any
    workers: list[subprocess.Popen[bytes]]

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            return list(conn.execute(query, params).fetchall())


def _clean_env() -> dict[str, str]:
    """The pytest process runs under the test settings: none of that reaches the hosts."""
    drop = ("GESTE_", "DJANGO_", "DATABASE_URL", "AWS_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def _wait_ready(host: Host, procs: list[subprocess.Popen[bytes]]) -> None:
    for _ in range(150):
        if any(p.poll() is not None for p in procs):
            break
        try:
            if host.api("GET", "/api/v1/whoami").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    errors = b"".join(p.stderr.read() for p in procs if p.poll() is not None and p.stderr)
    raise AssertionError(f"host {host.name} did not start: {errors.decode()[-2000:]}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    import boto3
    import psycopg
    from moto.server import ThreadedMotoServer

    admin = os.environ["DATABASE_URL"]
    name = f"test_geste_scaleout_{os.getpid()}"
    dsn = admin.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    s3_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    moto.start()
    var_dir = tmp_path_factory.mktemp("scaleout-var")
    env = {
        **_clean_env(),
        "DATABASE_URL": dsn,
        "GESTE_SECRET_KEY": "scaleout-test-" + secrets.token_hex(16),
        "GESTE_DEBUG": "0",
        "GESTE_VAR_DIR": str(var_dir),
        "GESTE_ALLOWED_HOSTS": "127.0.0.1",
        "GESTE_LOG_LEVEL": "ERROR",
        "GESTE_MULTI_HOST": "1",
        "GESTE_STORAGE": "s3",
        "GESTE_S3_BUCKET": BUCKET,
        "GESTE_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "GESTE_S3_REGION": "us-east-1",
        "GESTE_S3_ADDRESSING_STYLE": "path",
        "AWS_ACCESS_KEY_ID": "scaleout",
        "AWS_SECRET_ACCESS_KEY": "scaleout",  # moto accepts any key
        "AWS_CONFIG_FILE": str(var_dir / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(var_dir / "no-aws-credentials"),
        "GESTE_CACHE_URL": "db",
        # Plain HTTP on loopback, messages sent nowhere, the second factor optional: a
        # production configuration otherwise (debug off, deploy checks on).
        "GESTE_STAFF_2FA": "optional",
        "GESTE_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "GESTE_SMS_BACKEND": "geste.clinic.sms.DisabledSmsBackend",
        "GESTE_SSL_REDIRECT": "0",
        "GESTE_SECURE_COOKIES": "0",
        "GESTE_HSTS_SECONDS": "0",
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=env["GESTE_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="scaleout",
        aws_secret_access_key="scaleout",
    )
    s3.create_bucket(Bucket=BUCKET)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        out = subprocess.run(  # migrate and seed in one process (one Django start-up)
            [GESTE, "manage", "shell", "-c", f"TICK = {TICK_APPOINTMENTS}\n" + SEED],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        seed = json.loads(out[out.index("SEED") + 4 :].strip())
        hosts = []
        for label in ("a", "b"):
            port = free_port()
            server = subprocess.Popen(
                [GESTE, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            worker = subprocess.Popen(
                [*WORKER, f"host-{label}"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            procs += [server, worker]
            hosts.append(Host(label.upper(), port, seed["token"], seed["session"]))
        for host in hosts:
            _wait_ready(host, procs)
        yield Cluster(hosts[0], hosts[1], env, dsn, seed, var_dir, s3, procs[1::2])
    finally:
        for proc in procs:  # gunicorn: SIGINT is its quick shutdown; the workers stop on TERM
            proc.send_signal(signal.SIGINT if proc.args[1] == "serve" else signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            if proc.stderr:
                proc.stderr.close()
        moto.stop()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _booking_day() -> date:
    import holidays

    closed = holidays.country_holidays("FR", years=range(2020, 2040))
    day = datetime.now(PARIS).date() + timedelta(days=3)
    while day.weekday() >= 5 or day in closed:
        day += timedelta(days=1)
    return day


def test_booked_through_a_taken_through_b(cluster: Cluster) -> None:
    day = _booking_day()
    start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=PARIS)
    body = {
        "patient": cluster.seed["patient"],
        "kind": "consultation",
        "procedure": "facet_infiltration",
        "start": start.isoformat(),
        "room": cluster.seed["room"],
        "radiologist": cluster.seed["radio"],
    }
    booked = cluster.a.api("POST", "/api/v1/appointments", body)
    assert booked.status == 201, booked.body[:300]
    appointment = json.loads(booked.body)["id"]

    again = cluster.b.api("POST", "/api/v1/appointments", body)
    assert again.status == 409, again.body[:300]
    slots = cluster.b.api(
        "GET",
        f"/api/v1/slots?procedure=facet_infiltration&kind=consultation"
        f"&start={day}&end={day}&limit=100",
    )
    assert slots.status == 200
    starts = {datetime.fromisoformat(s["start"]) for s in json.loads(slots.body)}
    assert starts and start not in starts  # B's search no longer offers it
    assert cluster.sql(
        "SELECT count(*) FROM scheduling_appointment WHERE start = %s AND status = 'booked'",
        (start,),
    ) == [(1,)]
    assert cluster.sql("SELECT id FROM scheduling_appointment WHERE id = %s", (appointment,))


def _multipart(fields: dict[str, str], name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
        f"\r\nContent-Type: application/pdf\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_uploaded_through_b_served_by_a_from_the_bucket(cluster: Cluster) -> None:
    request_id = cluster.seed["request"]
    sampled = (datetime.now(PARIS) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    body, content_type = _multipart(
        {"sampled_at": sampled, "platelets_g_l": "250"}, "document", "bilan labo.pdf", PDF
    )
    posted = cluster.b.request(
        "POST",
        f"/equipe/demandes/{request_id}/biologie/",
        body,
        headers={"Content-Type": content_type},
    )
    assert posted.status == 302, posted.body[:500]
    assert posted.headers["location"].endswith(f"/equipe/demandes/{request_id}/")
    [(lab_id, key)] = cluster.sql(
        "SELECT id, document FROM patients_labresult WHERE patient_id = %s",
        (cluster.seed["patient"],),
    )
    assert key.startswith("labs/") and key.endswith(".pdf")
    stored = cluster.s3.get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == PDF  # in the shared bucket...
    assert not [p for p in cluster.var_dir.rglob("*") if p.is_file() and p.suffix == ".pdf"]

    served = cluster.a.request("GET", f"/equipe/bilans/{lab_id}/document/")
    assert served.status == 200
    assert served.body == PDF  # ...and served by the other host, through its own view
    assert served.headers["content-type"] == "application/pdf"
    assert "no-store" in served.headers["cache-control"]
    assert BUCKET not in served.body.decode("latin-1")  # no bucket URL handed out
    [(downloads,)] = cluster.sql(
        "SELECT count(*) FROM audit_auditevent WHERE action = 'document.downloaded'"
    )
    assert downloads == 1


def test_whatif_started_on_a_run_by_one_worker_read_on_b(cluster: Cluster) -> None:
    form = f"whatif-policy={cluster.seed['policy']}".encode()
    started = cluster.a.request(
        "POST",
        "/crise/simulation/",
        form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert started.status == 302, started.body[:500]
    run_path = started.headers["location"]
    run_id = int(run_path.rstrip("/").rsplit("/", 1)[-1])
    status = ""
    for _ in range(200):  # the worker polls every 0.2 s; a few requests to triage
        [(status,)] = cluster.sql("SELECT status FROM crisis_policyrun WHERE id = %s", (run_id,))
        if status in ("done", "failed"):
            break
        time.sleep(0.1)
    assert status == "done"
    [(task_status, worker_ids)] = cluster.sql(
        "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult"
        " WHERE task_path LIKE %s AND args_kwargs::text LIKE %s",
        ("%execute_run", f"%[{run_id}]%"),
    )
    assert task_status == "SUCCESSFUL"
    assert len(worker_ids) == 1 and worker_ids[0] in {"host-a", "host-b"}
    page = cluster.b.request("GET", run_path)
    assert page.status == 200
    progress = cluster.b.request("GET", run_path + "progression/")
    assert progress.status == 200


def _tick(cluster: Cluster) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [GESTE, "manage", "scheduling_tick"],
        env=cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _sent(output: str) -> int:
    marker = "scheduling_tick: "
    line = next(x for x in output.splitlines() if x.startswith(marker))
    if "already running on another host" in line:
        return 0
    return int(line[len(marker) :].split(" ", 1)[0])


def test_periodic_tick_on_both_hosts_done_once(cluster: Cluster) -> None:
    import psycopg

    # Another host holds the tick's lock: this host's run does nothing and says so.
    with psycopg.connect(cluster.dsn, autocommit=True) as holder:
        got = holder.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (NAMESPACE, lock_key("scheduling_tick"))
        ).fetchone()
        assert got == (True,)
        out, err = _tick(cluster).communicate(timeout=60)
        assert "scheduling_tick: already running on another host; nothing done" in out, err
        assert cluster.sql("SELECT count(*) FROM scheduling_remindersent") == [(0,)]
    # Released (the holder's session ended): both hosts' cron fire at the same moment.
    ticks = [_tick(cluster), _tick(cluster)]
    outputs = [t.communicate(timeout=60) for t in ticks]
    assert all(t.returncode == 0 for t in ticks), outputs
    sent = sum(_sent(out) for out, _ in outputs)
    rows = cluster.sql(
        "SELECT appointment_id, channel, count(*) FROM scheduling_remindersent"
        " GROUP BY appointment_id, channel"
    )
    assert all(count == 1 for _, _, count in rows)  # each reminder once
    reminded = {appointment for appointment, _, _ in rows}
    assert len(reminded) == TICK_APPOINTMENTS  # tomorrow's (the booked one is later)
    assert sent == len(rows)  # the two runs together sent each message once, no more
