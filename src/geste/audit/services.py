"""`log_action()`: the one way to write to the audit trail."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from geste.audit import chain
from geste.audit.actions import AuditAction
from geste.audit.models import AuditEvent

# The actor is the project's user (clinic.User). audit sits below clinic in the layers, so the
# type names Django's base class, which clinic.User extends; an anonymous user (a view's
# `request.user` before login) is recorded as no actor.
Actor = AbstractBaseUser | AnonymousUser | None

# Events kept by `written_at_end()` for this thread (each thread has its own connection).
_batch = threading.local()


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def log_action(
    *,
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    patient: Any = None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record one audit event. `action` is namespaced (`request.validated`, `report.read`) and
    must be registered in `geste.audit.actions.AuditAction`: an unknown action is a ValueError.

    `details` must hold identifiers and codes, never free text about the patient's health
    beyond what the action needs (the audit trail is itself health data).

    The event is chained to the one before it (chain.py). The previous hash is read under a
    lock held until the surrounding transaction commits, so two writers cannot both chain to
    the same event: on PostgreSQL a transaction-level advisory lock, on SQLite the database's
    own write lock (transactions begin IMMEDIATE, see settings).
    """
    if action not in AuditAction.values:
        raise ValueError(
            f"unregistered audit action {action!r}: add it to geste.audit.actions.AuditAction"
        )
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    patient_id = patient.pk if patient is not None else None
    if patient is None and obj is not None:
        # The foreign key's value when the object has one: no query to load the patient.
        patient_id = getattr(obj, "patient_id", None)
        if patient_id is None:
            patient = getattr(obj, "patient", None)
            if patient is None and obj.__class__.__name__ == "Patient":
                patient = obj
            patient_id = patient.pk if patient is not None else None
    event = AuditEvent(
        at=timezone.now(),
        actor_id=actor_id,
        action=str(action),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        patient_id=patient_id,
        ip=chain.canonical_ip(client_ip(request)),
        details=chain.canonical_details(details),
    )
    pending = getattr(_batch, "events", None)
    if pending is not None:
        pending.append(event)  # sealed and written at the end of written_at_end()'s block
        return event
    with transaction.atomic():
        _append([event])
    return event


def _append(events: list[AuditEvent]) -> None:
    """Seal `events` onto the chain, in order, and insert them (one INSERT)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [chain.CHAIN_LOCK_KEY])
    # Read after the lock, in a statement of its own: its snapshot sees the last holder's event.
    last = AuditEvent.objects.order_by("-id").values_list("chain_hash", flat=True).first()
    prev = last or chain.GENESIS
    for event in events:
        event.prev_hash = prev
        event.chain_hash = prev = chain.event_hash(
            prev_hash=event.prev_hash,
            at=event.at,
            actor_id=event.actor_id,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            patient_id=event.patient_id,
            ip=event.ip,
            details=event.details,
        )
    if len(events) == 1:
        events[0].save(force_insert=True)
    else:  # one multi-row INSERT: the database numbers the rows in list order (chain order)
        AuditEvent.objects.bulk_create(events)


@contextmanager
def written_at_end() -> Iterator[None]:
    """A transaction whose audit events are written at its end, together.

    `log_action()` inside the block keeps its event; when the block ends without an exception
    the events are sealed onto the chain and inserted in one statement, still inside the
    transaction (nothing is written without its event, nor an event without its write). The
    chain's lock is held until commit, and every writer of the centre waits for it: taken at
    the end, it is held for one insert and the commit instead of the whole transaction (a
    booking: 3 statements instead of 15, and no other booking waits on its reads).

    For a block that commits whole or raises: an event logged inside a savepoint that is rolled
    back while the block goes on would still be written. Nested blocks join the outer one.
    """
    if getattr(_batch, "events", None) is not None:
        # Inside the outer block, which commits whole or raises: no savepoint of its own.
        with transaction.atomic(savepoint=False):
            yield
        return
    _batch.events = []
    try:
        with transaction.atomic():
            yield
            events, _batch.events = _batch.events, None
            if events:
                _append(events)
    finally:
        _batch.events = None


def verify_chain() -> chain.ChainReport:
    """Check every event's link, in id order (`geste audit verify`)."""
    rows = AuditEvent.objects.order_by("id").values_list(*chain.ROW_FIELDS)
    return chain.verify_rows(rows.iterator(chunk_size=2000))
