"""Files attached to a patient's record by staff (key images, documents) for the portal."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    KEY_IMAGE = "key_image", _("Image clé")
    OTHER = "other", _("Document")


class Document(models.Model):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="documents"
    )
    request = models.ForeignKey(
        "pathway.ProcedureRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
    )
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    title = models.CharField(_("titre"), max_length=120)
    file = models.FileField(upload_to="documents/%Y/%m/")
    content_type = models.CharField(max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"document #{self.pk} ({self.kind})"
