"""Appointments (consultations and procedures). Capacity models are added beside them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class AppointmentKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    PROCEDURE = "procedure", _("Geste")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Programmé")
    CHECKED_IN = "checked_in", _("Arrivé")
    DONE = "done", _("Réalisé")
    CANCELLED = "cancelled", _("Annulé")
    NO_SHOW = "no_show", _("Absent")


# Statuses that hold a room, a radiologist and the patient's time.
ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.DONE)


class Appointment(models.Model):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    request = models.ForeignKey(
        "pathway.ProcedureRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    kind = models.CharField(_("type"), max_length=16, choices=AppointmentKind.choices)
    procedure = models.ForeignKey("clinic.Procedure", on_delete=models.PROTECT)
    room = models.ForeignKey("clinic.Room", on_delete=models.PROTECT, related_name="+")
    radiologist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateTimeField(_("début"), db_index=True)
    end = models.DateTimeField(_("fin"))
    status = models.CharField(
        _("statut"),
        max_length=12,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.BOOKED,
        db_index=True,
    )
    video = models.BooleanField(_("téléconsultation"), default=False)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancel_reason = models.TextField(_("motif d'annulation"), blank=True)
    override_reason = models.TextField(_("motif du forçage"), blank=True)

    class Meta:
        verbose_name = _("rendez-vous")
        verbose_name_plural = _("rendez-vous")
        ordering = ["start"]
        indexes = [
            models.Index(fields=["room", "start"], name="appt_room_start_idx"),
            models.Index(fields=["radiologist", "start"], name="appt_radiologist_start_idx"),
            models.Index(fields=["patient", "start"], name="appt_patient_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="appt_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.start:%Y-%m-%d %H:%M}"
