"""Concurrent writers keep one unbroken audit chain, on PostgreSQL (issue 12, point 5).

Sixteen threads each write events in their own transactions while a sleep is injected between
reading the previous hash and inserting: without the advisory lock two writers would chain to
the same event and `verify_chain()` would report the fork.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connections, transaction

from geste.audit.models import AuditEvent
from geste.audit.services import log_action, verify_chain

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 16
EACH = 5


@pytest.fixture
def slow_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    from geste.audit import chain

    real = chain.event_hash

    def slow(**kwargs: Any) -> str:
        time.sleep(0.01)
        return real(**kwargs)

    monkeypatch.setattr(chain, "event_hash", slow)


def test_concurrent_writers_keep_one_chain(slow_hash: None) -> None:
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                with transaction.atomic():
                    log_action(actor=None, action="rules.check", details={"t": n, "i": i})
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEvent.objects.count() == THREADS * EACH
    report = verify_chain()
    assert report.ok, report
    assert report.checked == THREADS * EACH
