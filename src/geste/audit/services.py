"""`log_action()`: the one way to write to the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from geste.audit.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def log_action(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    patient: Any = None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record one audit event. `action` is namespaced: `request.validated`, `report.read`.

    `details` must hold identifiers and codes, never free text about the patient's health
    beyond what the action needs (the audit trail is itself health data).
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if patient is None and obj is not None:
        patient = getattr(obj, "patient", None)
        if patient is None and obj.__class__.__name__ == "Patient":
            patient = obj
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        patient=patient,
        ip=client_ip(request),
        details=details or {},
    )
