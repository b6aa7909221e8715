"""Append-only audit trail: every read and write of clinical records leaves an event."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geste.audit.actions import action_label


class AuditImmutableError(RuntimeError):
    """Raised on any attempt to change or delete an audit event."""


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditImmutableError("audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError("audit events are append-only")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AuditImmutableError("audit events are append-only")


class AuditEvent(models.Model):
    # Set by log_action() before the hash is computed (auto_now_add would set it after).
    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur"),
    )
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("type d'objet"), max_length=60, blank=True)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("patient"),
    )
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    details = models.JSONField(_("détails"), default=dict, blank=True)
    # The hash chain (chain.py): this event's seal, and the seal of the event before it.
    prev_hash = models.CharField(_("empreinte précédente"), max_length=64, editable=False)
    chain_hash = models.CharField(_("empreinte"), max_length=64, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "at"], name="audit_patient_at_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditImmutableError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError("audit events are append-only")

    @property
    def action_label(self) -> str:
        """The action's label (French, or the active language) for the audit page."""
        return action_label(self.action)
