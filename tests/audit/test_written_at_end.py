"""Audit events written at the end of their transaction, together (issue 16): the same events,
in order, on an unbroken chain; none if the block fails; concurrent batches keep one chain."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from geste.audit.models import AuditEvent
from geste.audit.services import log_action, verify_chain, written_at_end


@pytest.mark.django_db
def test_events_are_written_at_the_end_in_order_on_the_chain(alice: Any) -> None:
    log_action(actor=None, action="rules.check", details={"n": 0})
    with written_at_end():
        log_action(actor=None, action="rules.check", details={"n": 1})
        with written_at_end():  # nested: joins the outer block
            log_action(actor=None, action="patient.read", obj=alice, details={"n": 2})
        # Kept until the end of the block: nothing is written yet.
        assert AuditEvent.objects.count() == 1
    rows = list(AuditEvent.objects.order_by("id").values_list("details", "patient_id"))
    assert rows == [({"n": 0}, None), ({"n": 1}, None), ({"n": 2}, alice.pk)]
    report = verify_chain()
    assert report.ok and report.checked == 3, report


@pytest.mark.django_db
def test_a_failed_block_writes_no_event(alice: Any) -> None:
    with pytest.raises(RuntimeError), written_at_end():
        log_action(actor=None, action="patient.read", obj=alice)
        raise RuntimeError("refused")
    assert not AuditEvent.objects.exists()
    # The next block starts empty: the failed one's event is not carried over.
    with written_at_end():
        log_action(actor=None, action="rules.check")
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["rules.check"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_keep_one_chain() -> None:
    threads_n, each, per_batch = 12, 4, 3
    start = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                with written_at_end():
                    for k in range(per_batch):
                        log_action(
                            actor=None, action="rules.check", details={"t": n, "i": i, "k": k}
                        )
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify_chain()
    assert report.ok, report
    assert report.checked == threads_n * each * per_batch
    # A batch's events are consecutive, in the order they were logged.
    rows = list(AuditEvent.objects.order_by("id").values_list("details", flat=True))
    for j in range(0, len(rows), per_batch):
        batch = rows[j : j + per_batch]
        assert [d["k"] for d in batch] == list(range(per_batch))
        assert len({(d["t"], d["i"]) for d in batch}) == 1
