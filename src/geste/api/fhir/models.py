"""What the FHIR scheduling operations keep of their own: booking identifiers ($book).

Registered in the `api` app (imported by geste.api.models). The holds of $hold are
`geste.scheduling.models.SlotHold`: a hold must keep the time from every booking path (pages,
JSON API, waiting-list offers, slot lists), and those cannot see the api app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
