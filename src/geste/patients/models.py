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


class Declaration(models.Model):
    """The pre-procedure questionnaire, as answered (by the patient, or by staff for them).

    Each "yes" is a flag a radiologist must clear at the time-out.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="declarations")
    request = models.ForeignKey(
        "pathway.ProcedureRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="declarations",
    )
    answered_at = models.DateTimeField(_("rempli le"), db_index=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    pregnant = models.BooleanField(_("enceinte ou possiblement enceinte"), null=True, blank=True)
    takes_anticoagulant = models.BooleanField(_("traitement anticoagulant ou antiagrégant"))
    allergies = models.JSONField(_("allergies"), default=list, blank=True)
    allergy_details = models.CharField(
        _("précisions sur les allergies"), max_length=200, blank=True
    )
    fever = models.BooleanField(_("fièvre"))
    current_infection = models.BooleanField(_("infection en cours"))
    infection_details = models.CharField(_("laquelle"), max_length=200, blank=True)
    skin_lesion_at_site = models.BooleanField(_("lésion de la peau au point de ponction"))
    creatinine_clearance_ml_min = models.FloatField(
        _("clairance de la créatinine (mL/min)"), null=True, blank=True
    )

    class Meta:
        ordering = ["-answered_at"]


class MedicationDeclaration(models.Model):
    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="medications"
    )
    drug = models.CharField(_("médicament"), max_length=80)
    last_dose_at = models.DateTimeField(_("dernière prise"))
    dose = models.CharField(
        _("dose"),
        max_length=16,
        blank=True,
        choices=[("prophylactic", _("préventive")), ("therapeutic", _("curative"))],
    )


class LabResult(models.Model):
    """A hemostasis result (platelets, INR, aPTT ratio), entered by staff or uploaded."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="lab_results")
    sampled_at = models.DateTimeField(_("prélevé le"), db_index=True)
    platelets_g_l = models.FloatField(_("plaquettes (G/L)"), null=True, blank=True)
    inr = models.FloatField(_("INR"), null=True, blank=True)
    aptt_ratio = models.FloatField(_("ratio TCA"), null=True, blank=True)
    document = models.FileField(_("document"), upload_to="labs/%Y/%m/", blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sampled_at"]
