"""`log_action()`: the one way to write to the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.http import HttpRequest

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
    return AuditEvent.objects.create(
        actor_id=actor_id,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        patient=patient,
        ip=client_ip(request),
        details=details or {},
    )
