"""The `geste` command.

`check` and `triage` run the pure rules engine and never import Django (fast start-up);
every other subcommand sets Django up first.
"""

from __future__ import annotations

import argparse
import os
import sys

DEMO_LOGINS = [
    ("admin", "administrateur·rice"),
    ("accueil1", "secrétaire d'accueil"),
    ("manip1", "manipulateur·rice"),
    ("radio1", "radiologue"),
    ("patient1", "patiente (Alice)"),
    ("patient2", "patient (Bob)"),
]
DEMO_PASSWORD = "geste-demo"  # noqa: S105 - demo data only, printed on purpose


def _django_setup(*, debug: bool | None = None) -> None:
    if debug is not None:
        os.environ.setdefault("GESTE_DEBUG", "1" if debug else "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geste.settings")
    import django

    django.setup()


def _manage(args: list[str]) -> None:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["geste manage", *args])


# `geste serve`'s defaults. A request spends most of its time in Python, which runs one
# thread at a time per process (the GIL): one worker process per core uses every core, and
# more processes only add switching and database connections. Each worker's threads overlap
# the waits on PostgreSQL (about 40% of a booking's time in one process, bench/booking.py
# --profile): 4 per worker keep its core busy. Connections: workers x threads (+ the task
# worker) stay well under PostgreSQL's 100.
SERVE_THREADS = 4


def serve_workers() -> int:
    return max(2, os.cpu_count() or 2)


def _serve(host: str, port: int, workers: int, *, threads: int = 4, reload: bool = False) -> None:
    from gunicorn.app.base import BaseApplication

    from geste.wsgi import application

    class _App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 60)
            self.cfg.set("accesslog", None)  # access logs carry patient ids in paths: off
            self.cfg.set("reload", reload)

        def load(self) -> object:
            return application

    _App().run()


def print_demo_logins(host: str = "127.0.0.1", port: int = 8000) -> None:
    sys.stdout.write(f"\ngeste demo centre: http://{host}:{port}/\n")
    sys.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):\n")
    for username, role in DEMO_LOGINS:
        sys.stdout.write(f"  {username:<10} {role}\n")
    sys.stdout.write("\n")
    sys.stdout.flush()


def demo_site_url(host: str, port: int) -> str:
    """The address the demo serves, for links in messages and calendar files (a server bound
    to every interface is reached on this machine as 127.0.0.1)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (compared, not bound)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def cmd_demo(args: argparse.Namespace) -> int:
    # The printed demo logins must work with a password alone; enrolment can still be tried.
    os.environ.setdefault("GESTE_STAFF_2FA", "optional")
    # Links in messages point at this server unless the operator named another address.
    os.environ.setdefault("GESTE_SITE_URL", demo_site_url(args.host, args.port))
    _django_setup(debug=True)
    from django.core.management import call_command

    from geste.demo import demo_loaded, load_demo

    call_command("migrate", interactive=False, verbosity=0)
    if not demo_loaded():
        sys.stdout.write("Loading the demo centre (first run only)...\n")
        load_demo(patients=args.patients, progress=sys.stdout)
    from geste.dicom.demo import ensure_demo_stations

    ensure_demo_stations()
    print_demo_logins(args.host, args.port)
    if args.no_serve:
        return 0
    _start_task_worker()
    _start_dicom(args.host, 11112)
    _serve(args.host, args.port, args.workers)
    return 0


def _start_dicom(host: str, port: int) -> None:
    """The demo's DICOM worklist, MPPS and dose report server, in its own process."""
    import atexit
    import subprocess

    cmd = [sys.executable, "-m", "geste.cli", "dicom", "--host", host, "--port", str(port)]
    server = subprocess.Popen(cmd, env={**os.environ, "GESTE_DEBUG": "1"})
    atexit.register(server.terminate)
    sys.stdout.write(f"DICOM server started: AE GESTE on {host}:{port} (pid {server.pid}).\n")


def cmd_dicom(args: argparse.Namespace) -> int:
    _django_setup()
    from geste.dicom.server import serve

    sys.stdout.write(f"geste dicom: AE {args.ae} on {args.host}:{args.port}\n")
    sys.stdout.flush()
    serve(args.host, args.port, args.ae)
    return 0


def _start_task_worker() -> None:
    """The demo runs background tasks (crisis what-if, reminders) in a worker beside the server."""
    import atexit
    import subprocess

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "geste.cli",
            "manage",
            "db_worker",
            "--interval",
            "1",
            "--no-reload",
        ],
        env={**os.environ, "GESTE_DEBUG": os.environ.get("GESTE_DEBUG", "1")},
    )
    atexit.register(worker.terminate)
    sys.stdout.write(f"Background task worker started (pid {worker.pid}).\n")


def deploy_problems() -> tuple[list[str], list[str]]:
    """Django's deploy checks (ours included: geste.security.checks): (errors, warnings)."""
    from django.core import checks

    found = checks.run_checks(include_deployment_checks=True)
    errors = [str(m) for m in found if m.is_serious()]
    warnings = [str(m) for m in found if not m.is_serious() and not m.is_silenced()]
    return errors, warnings


def cmd_serve(args: argparse.Namespace) -> int:
    _django_setup()
    from django.conf import settings

    if not settings.DEBUG:
        errors, warnings = deploy_problems()
        for line in warnings:
            sys.stderr.write(f"geste serve: warning: {line}\n")
        if errors:
            for line in errors:
                sys.stderr.write(f"geste serve: {line}\n")
            sys.stderr.write("geste serve: refusing to start (fix the settings above)\n")
            return 2
    _serve(args.host, args.port, args.workers, threads=args.threads)
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    _django_setup()
    from geste.demo import load_demo

    load_demo(patients=args.patients, progress=sys.stdout)
    return 0


def cmd_api_token(args: argparse.Namespace) -> int:
    _django_setup()
    from geste.api.models import ApiToken
    from geste.audit.services import log_action
    from geste.clinic.models import STAFF_ROLES, User

    try:
        user = User.objects.get(username=args.username)
    except User.DoesNotExist:
        sys.stderr.write(f"geste api-token: no user named {args.username!r}\n")
        return 2
    if user.role not in STAFF_ROLES or not user.is_active:
        sys.stderr.write("geste api-token: API tokens are for active staff accounts only\n")
        return 2
    token, raw = ApiToken.issue(user)
    log_action(actor=None, action="api_token.issued", obj=token, details={"user": user.pk})
    sys.stdout.write(raw + "\n")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Check the audit trail's hash chain; exit 1 at the first broken link."""
    _django_setup()
    from geste.audit.services import verify_chain

    report = verify_chain()
    if report.ok:
        sys.stdout.write(
            f"audit chain intact: {report.checked} events checked, last hash {report.last_hash}\n"
        )
        return 0
    sys.stdout.write(
        f"audit chain BROKEN at event {report.broken_at}: {report.reason} "
        f"({report.checked} events before it hold)\n"
    )
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in {"check", "triage"}:
        from geste.rules import cli as rules_cli

        runner = rules_cli.check_main if argv[0] == "check" else rules_cli.triage_main
        return runner(argv[1:])
    if argv and argv[0] == "manage":
        _django_setup()
        _manage(argv[1:])
        return 0

    parser = argparse.ArgumentParser(prog="geste", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="migrate, load the demo centre if empty, serve, print logins")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--patients", type=int, default=300)
    p.add_argument("--no-serve", action="store_true", help="prepare the demo and exit")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("serve", help="serve with gunicorn (production-grade)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--workers",
        type=int,
        default=serve_workers(),
        help="worker processes (default: one per core, at least 2)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=SERVE_THREADS,
        help=f"threads per worker (default {SERVE_THREADS})",
    )
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("seed", help="load the demo centre (reference data, staff, patients)")
    p.add_argument("--patients", type=int, default=300)
    p.set_defaults(func=cmd_seed)
    p = sub.add_parser("api-token", help="print a new bearer token for a staff user")
    p.add_argument("username")
    p.set_defaults(func=cmd_api_token)
    p = sub.add_parser("dicom", help="DICOM worklist, MPPS and dose report server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=11112)
    p.add_argument("--ae", default="GESTE", help="our AE title (called AE)")
    p.set_defaults(func=cmd_dicom)
    p = sub.add_parser("audit", help="audit trail: `geste audit verify` checks the hash chain")
    audit_sub = p.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="check every event's hash link; exit 1 if one breaks")
    p.set_defaults(func=cmd_audit_verify)
    sub.add_parser("manage", help="Django's management commands: geste manage migrate ...")
    sub.add_parser("check", help="safety check of cases (see contracts/README.md)")
    sub.add_parser("triage", help="crisis triage of cases (see contracts/README.md)")
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
