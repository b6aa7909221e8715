"""Patient identity and portal link. Clinical declarations live beside it (later issues)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "F", _("Femme")
    MALE = "M", _("Homme")
    OTHER = "X", _("Autre / non précisé")


class Patient(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patient",
        verbose_name=_("compte du portail"),
    )
    last_name = models.CharField(_("nom d'usage"), max_length=100)
    birth_name = models.CharField(_("nom de naissance"), max_length=100)
    first_names = models.CharField(_("prénoms"), max_length=150)
    birth_date = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    phone = models.CharField(
        _("téléphone"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^\+?[0-9 .]{6,20}$", _("Numéro de téléphone invalide."))],
    )
    email = models.EmailField(_("adresse e-mail"), blank=True)
    ins = models.CharField(
        _("INS (matricule)"),
        max_length=15,
        blank=True,
        validators=[RegexValidator(r"^[12]\d{14}$", _("L'INS compte 15 chiffres."))],
        help_text=_("Identifiant national de santé, facultatif."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["last_name", "first_names"]
        indexes = [models.Index(fields=["last_name", "first_names"], name="patient_name_idx")]

    def __str__(self) -> str:
        return f"{self.last_name.upper()} {self.first_names}"

    @property
    def display_name(self) -> str:
        return str(self)

    def age_on(self, day: date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
