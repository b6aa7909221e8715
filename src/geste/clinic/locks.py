"""Periodic jobs run by one host at a time (README, "More than one machine").

Every host of a centre may carry the same cron lines (`scheduling_tick`, `pathway_tick`,
`crisis_review`); when two run the same job at once, one does the work and the other does
nothing and says so. `single_run(name)` is that lock:

- on PostgreSQL, a session advisory lock (`pg_try_advisory_lock`) taken on a connection of its
  own, so it is seen by every host, does not depend on the job's transactions (a job that
  commits in batches keeps it), and is released when that connection closes, at the end of the
  job or when the process dies;
- on SQLite, which only one machine can use, an exclusive `flock` on a file beside the database
  (two cron runs on that machine still never overlap).

The lock serialises runs, it does not count them: a host that starts after the other has
finished runs the job again and finds nothing left to do, because every unit of work in these
jobs is idempotent (one reminder per appointment and channel, one escalation per page, one
review per due date).
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

T = TypeVar("T")

# The first key of PostgreSQL's two-key advisory locks: geste's own space, so our locks never
# meet another application's on a shared server ("gs" in ASCII).
NAMESPACE = 0x6773


def lock_key(name: str) -> int:
    """The second key: the job's name as a signed 32-bit integer (CRC-32)."""
    return zlib.crc32(name.encode()) - 2**31


def _lock_file(name: str) -> tuple[Path, bool]:
    """The lock file, and whether it is this process's own (removed after use): an in-memory
    database belongs to one process, so its locks need not be seen by any other."""
    db_name = str(connections[DEFAULT_DB_ALIAS].settings_dict["NAME"])
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    if db_name and "memory" not in db_name and Path(db_name).parent.is_dir():
        return Path(f"{db_name}.{safe}.lock"), False
    digest = hashlib.sha256(db_name.encode()).hexdigest()[:12]
    own = f"geste-{os.getpid()}-{digest}.{safe}.lock"
    return Path(tempfile.gettempdir()) / own, True


@contextmanager
def single_run(name: str) -> Iterator[bool]:
    """Yields True when this process holds the lock named `name` (and does the job), False
    when another process or host holds it (and the caller does nothing). Never waits."""
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        conn = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [NAMESPACE, lock_key(name)])
                row = cursor.fetchone()
            yield bool(row and row[0])
        finally:
            conn.close()  # the session ends: PostgreSQL releases its advisory locks
        return
    path, own = _lock_file(name)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            if own:
                path.unlink(missing_ok=True)  # before unlocking: no one holds a stale path
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_alone(name: str, job: Callable[[], T]) -> T | None:
    """`job()` under the lock `name`; None, without running it, when another host holds it."""
    with single_run(name) as mine:
        return job() if mine else None


def one_host_at_a_time(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For a management command's `handle`: the command's work under the lock `name`; when
    another host holds it, one line on stdout and nothing done."""

    def decorate(handle: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handle)
        def wrapper(self: Any, *args: Any, **options: Any) -> Any:
            with single_run(name) as mine:
                if not mine:
                    self.stdout.write(f"{name}: already running on another host; nothing done")
                    return None
                return handle(self, *args, **options)

        return wrapper

    return decorate


def one_at_a_time(name: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """For a periodic background task that returns a count: its work under the lock `name`;
    0, without running it, while another worker (on any host) holds it."""

    def decorate(job: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(job)
        def wrapper(*args: Any, **kwargs: Any) -> int:
            with single_run(name) as mine:
                return job(*args, **kwargs) if mine else 0

        return wrapper

    return decorate
