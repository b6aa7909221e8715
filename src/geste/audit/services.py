"""`log_action()`: the one way to write to the audit trail."""

from __future__ import annotations

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
    if patient is None and obj is not None:
        patient = getattr(obj, "patient", None)
        if patient is None and obj.__class__.__name__ == "Patient":
            patient = obj
    event = AuditEvent(
        at=timezone.now(),
        actor_id=actor_id,
        action=str(action),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        patient_id=patient.pk if patient is not None else None,
        ip=chain.canonical_ip(client_ip(request)),
        details=chain.canonical_details(details),
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [chain.CHAIN_LOCK_KEY])
        last = AuditEvent.objects.order_by("-id").values_list("chain_hash", flat=True).first()
        event.prev_hash = last or chain.GENESIS
        event.chain_hash = chain.event_hash(
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
        event.save(force_insert=True)
    return event


def verify_chain() -> chain.ChainReport:
    """Check every event's link, in id order (`geste audit verify`)."""
    rows = AuditEvent.objects.order_by("id").values_list(*chain.ROW_FIELDS)
    return chain.verify_rows(rows.iterator(chunk_size=2000))
