"""Patient identity and portal link. Clinical declarations live beside it (later issues)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as NumberError
from stdnum.fr import nir


class Sex(models.TextChoices):
    FEMALE = "F", _("Femme")
    MALE = "M", _("Homme")
    OTHER = "X", _("Autre / non précisé")


class IdentityStatus(models.TextChoices):
    """The four INS identity statuses (référentiel national d'identitovigilance, RNIV)."""

    PROVISIONAL = "provisoire", _("Identité provisoire")
    RETRIEVED = "recuperee", _("Identité récupérée")
    VALIDATED = "validee", _("Identité validée")
    QUALIFIED = "qualifiee", _("Identité qualifiée")


def normalise_ins(value: str) -> str:
    """The NIR without spaces or dots, upper case (Corsica: 2A, 2B)."""
    return nir.compact(value or "")


def validate_ins(value: str) -> None:
    """The INS matricule is the NIR: 15 characters, its key checked (python-stdnum).

    Corsican birthplaces (2A, 2B) are valid; the first digit is the sex (1 or 2).
    """
    number = normalise_ins(value)
    try:
        nir.validate(number)
    except NumberError as exc:
        raise ValidationError(
            _("Matricule INS invalide (15 caractères dont la clé de contrôle)."), code="ins"
        ) from exc
    if number[0] not in "12":
        raise ValidationError(_("Le matricule INS commence par 1 ou 2."), code="ins")


birthplace_validator = RegexValidator(
    r"^(\d{5}|2[AB]\d{3})$", _("Code INSEE du lieu de naissance : 5 caractères (ex. 75056, 2A004).")
)


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
        validators=[validate_ins],
        help_text=_("Identifiant national de santé, facultatif."),
    )
    identity_status = models.CharField(
        _("statut de l'identité"),
        max_length=12,
        choices=IdentityStatus.choices,
        default=IdentityStatus.PROVISIONAL,
    )
    birthplace_insee = models.CharField(
        _("lieu de naissance (code INSEE)"),
        max_length=5,
        blank=True,
        validators=[birthplace_validator],
        help_text=_("Commune de naissance (code officiel géographique) ; 99xxx : né à l'étranger."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["last_name", "first_names"]
        indexes = [models.Index(fields=["last_name", "first_names"], name="patient_name_idx")]

    def __str__(self) -> str:
        return f"{self.last_name.upper()} {self.first_names}"

    def clean_fields(self, exclude: Any = None) -> None:
        # Typed with spaces as printed on the card: compacted before the length check.
        self.ins = normalise_ins(self.ins)
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        """INS consistency: the NIR carries the sex and the birthplace; a qualified identity
        needs its INS (RNIV: an INS is only used once the identity is qualified)."""
        super().clean()
        errors: dict[str, ValidationError] = {}
        if self.ins and nir.is_valid(self.ins):
            if self.sex in (Sex.MALE, Sex.FEMALE) and self.ins[0] != (
                "1" if self.sex == Sex.MALE else "2"
            ):
                errors["ins"] = ValidationError(_("Le matricule INS ne correspond pas au sexe."))
            elif self.birthplace_insee and self.ins[5:10] != self.birthplace_insee:
                errors["birthplace_insee"] = ValidationError(
                    _("Le lieu de naissance ne correspond pas au matricule INS.")
                )
        if self.identity_status == IdentityStatus.QUALIFIED and not self.ins:
            errors["identity_status"] = ValidationError(
                _("Une identité qualifiée porte son matricule INS.")
            )
        if errors:
            raise ValidationError(errors)

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

    def __str__(self) -> str:
        return f"declaration #{self.pk} of patient #{self.patient_id}"


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

    def __str__(self) -> str:
        return f"medication #{self.pk} of declaration #{self.declaration_id}"


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

    def __str__(self) -> str:
        return f"lab result #{self.pk} of patient #{self.patient_id}"
