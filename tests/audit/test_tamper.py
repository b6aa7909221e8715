"""The audit table refuses changes at the database, and the hash chain shows any that got by."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest
from django.db import DatabaseError, connection, transaction

from geste.audit import chain, triggers
from geste.audit.models import AuditEvent
from geste.audit.services import log_action, verify_chain
from geste.cli import main

pytestmark = pytest.mark.django_db


def _events(n: int, alice: object) -> list[AuditEvent]:
    return [
        log_action(actor=None, action="patient.read", obj=alice, details={"n": i})  # type: ignore[arg-type]
        for i in range(n)
    ]


def _raw(sql: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _verify_cli() -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["audit", "verify"])
    return code, out.getvalue()


def test_each_event_is_chained_to_the_one_before(alice: object) -> None:
    first, second, third = _events(3, alice)
    assert AuditEvent.objects.order_by("id").first() == first
    assert first.prev_hash == chain.GENESIS
    assert second.prev_hash == first.chain_hash and third.prev_hash == second.chain_hash
    assert len({first.chain_hash, second.chain_hash, third.chain_hash}) == 3
    assert verify_chain().ok and verify_chain().checked == 3
    assert verify_chain().last_hash == third.chain_hash
    assert _verify_cli() == (
        0,
        f"audit chain intact: 3 events checked, last hash {third.chain_hash}\n",
    )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'patient.read' WHERE id = %s",
        "UPDATE audit_auditevent SET details = '{}' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_the_database_refuses_raw_update_and_delete(alice: object, sql: str) -> None:
    event = _events(1, alice)[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, details={"n": 0}).exists()


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_emptying_the_table(alice: object) -> None:
    # Committed rows (a transactional test): PostgreSQL refuses TRUNCATE inside the transaction
    # that inserted them for another reason. The test runner's flush after this test goes
    # through the audit app's flush command, which lifts the triggers in tests only.
    _events(2, alice)
    # SQLite has no TRUNCATE: its form of emptying a table is a DELETE without WHERE.
    sql = (
        "TRUNCATE audit_auditevent CASCADE"
        if connection.vendor == "postgresql"
        else ("DELETE FROM audit_auditevent")
    )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw(sql)
    assert AuditEvent.objects.count() == 2


@pytest.fixture
def without_triggers():
    """What an attacker with the table owner's rights would do first."""
    triggers.uninstall(connection)
    yield
    triggers.install(connection)


def test_a_changed_event_is_found_by_verify(alice: object, without_triggers: None) -> None:
    events = _events(5, alice)
    _raw("UPDATE audit_auditevent SET details = %s WHERE id = %s", ['{"n": 99}', events[2].pk])
    report = verify_chain()
    assert not report.ok
    assert report.broken_at == events[2].pk and report.checked == 2
    assert "content" in report.reason
    code, out = _verify_cli()
    assert code == 1
    assert f"BROKEN at event {events[2].pk}" in out


def test_a_rehashed_forgery_breaks_the_next_link(alice: object, without_triggers: None) -> None:
    # A careful forger recomputes the changed event's own hash; the next event still points at
    # the old one.
    events = _events(4, alice)
    row = AuditEvent.objects.filter(pk=events[1].pk).values_list(*chain.ROW_FIELDS).get()
    forged = (*row[:9], "203.0.113.9", row[10])
    _raw(
        "UPDATE audit_auditevent SET ip = %s, chain_hash = %s WHERE id = %s",
        ["203.0.113.9", chain.event_hash_of_row(forged), events[1].pk],
    )
    report = verify_chain()
    assert report.broken_at == events[2].pk and "previous hash" in report.reason


def test_a_deleted_event_is_found_by_verify(alice: object, without_triggers: None) -> None:
    events = _events(4, alice)
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    report = verify_chain()
    assert report.broken_at == events[2].pk
    assert _verify_cli()[0] == 1
