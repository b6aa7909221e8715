"""What the FHIR scheduling operations keep: short holds ($hold) and booking identifiers ($book).

Registered in the `api` app (imported by geste.api.models). Why not the waiting list's held
offers: an offer belongs to a waiting-list entry of a validated request, and shows on the
reception's waiting-list page; a FHIR hold is any client's minutes-long claim on a slot.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class HoldStatus(models.TextChoices):
    HELD = "held", "held"
    BOOKED = "booked", "booked"
    RELEASED = "released", "released"


class SlotHold(models.Model):
    """A slot claimed by one client for a few minutes (IHE ITI-116 $hold)."""

    slot_id = models.CharField(max_length=64, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    procedure = models.ForeignKey("clinic.Procedure", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    room = models.ForeignKey("clinic.Room", on_delete=models.CASCADE, related_name="+")
    radiologist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=HoldStatus.choices, default=HoldStatus.HELD)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "api"
        indexes = [models.Index(fields=["status", "start"], name="fhir_hold_status_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="fhir_hold_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.slot_id} ({self.status})"


class FhirBooking(models.Model):
    """The identifier a client sent with $book, so that a replay returns the same Appointment."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    system = models.CharField(max_length=200, blank=True)
    value = models.CharField(max_length=200)
    slot_id = models.CharField(max_length=64)
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "api"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "system", "value"], name="fhir_booking_identifier_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.system}|{self.value}"
