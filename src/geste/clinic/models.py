"""Centre reference data: sites, rooms, the procedure catalogue, staff accounts and settings."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    RECEPTIONIST = "receptionist", _("Secrétaire d'accueil")
    TECHNOLOGIST = "technologist", _("Manipulateur·rice radio")
    RADIOLOGIST = "radiologist", _("Radiologue")
    ADMINISTRATOR = "administrator", _("Administrateur·rice")


STAFF_ROLES = frozenset(
    {Role.RECEPTIONIST, Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.ADMINISTRATOR}
)


class User(AbstractUser):
    """Every login: staff (with a role) and patients (linked to a Patient record)."""

    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, default=Role.PATIENT)
    rpps = models.CharField(
        _("numéro RPPS"),
        max_length=11,
        blank=True,
        validators=[RegexValidator(r"^\d{11}$", _("Le numéro RPPS compte 11 chiffres."))],
        help_text=_("Obligatoire pour les radiologues (figure sur les ordonnances)."),
    )

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def display_name(self) -> str:
        full = self.get_full_name()
        if self.role == Role.RADIOLOGIST and full:
            return f"Dr {full}"
        return full or self.username

    def clean(self) -> None:
        super().clean()
        if self.role == Role.RADIOLOGIST and not self.rpps:
            raise ValidationError({"rpps": _("Un radiologue doit avoir un numéro RPPS.")})
        # Django's admin is reserved to administrators.
        self.is_staff = self.role == Role.ADMINISTRATOR


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Fuseau horaire inconnu."), code="time_zone") from exc


# Subdivisions the holidays library knows for France; "" is metropolitan France.
HOLIDAY_REGIONS = [("", _("France métropolitaine"))] + [
    (code, code) for code in holidays.France.subdivisions
]


class Site(models.Model):
    name = models.CharField(_("nom"), max_length=120)
    address = models.TextField(_("adresse"))
    finess = models.CharField(
        _("numéro FINESS"),
        max_length=9,
        blank=True,
        validators=[RegexValidator(r"^\d[0-9AB]\d{7}$", _("Le FINESS compte 9 caractères."))],
    )
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    # Sites outside Paris: public holidays follow holiday_region; the rooms' opening hours,
    # local days and the times shown for them are read in time_zone (clinic.selectors.site_zone,
    # used by scheduling.capacity and scheduling.calendars).
    time_zone = models.CharField(
        _("fuseau horaire"), max_length=64, default="Europe/Paris", validators=[validate_time_zone]
    )
    holiday_region = models.CharField(
        _("région des jours fériés"),
        max_length=10,
        blank=True,
        default="",
        choices=HOLIDAY_REGIONS,
        help_text=_(
            "Vide : France métropolitaine. 57 : Alsace-Moselle (Vendredi saint, 26 décembre)."
        ),
    )

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name


class Cabin(models.Model):
    """A changing cabin of a site: where a patient waits, one at a time, from arrival to leaving."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="cabins")
    name = models.CharField(_("nom"), max_length=40)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("cabine")
        verbose_name_plural = _("cabines")
        ordering = ["site", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="cabin_name_unique_per_site")
        ]

    def __str__(self) -> str:
        return self.name


class Modality(models.TextChoices):
    FLUOROSCOPY = "fluoroscopy", _("Radioscopie")
    CT = "ct", _("Scanner")
    ULTRASOUND = "ultrasound", _("Échographie")


class Room(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(_("nom"), max_length=80)
    modality = models.CharField(_("modalité"), max_length=20, choices=Modality.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("salle")
        verbose_name_plural = _("salles")
        ordering = ["site_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="room_unique_name_per_site")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_modality_display()})"


class ContrastConfirmation(models.TextChoices):
    ARTHROGRAPHY = "arthrography", _("Arthrographie")
    EPIDUROGRAPHY = "epidurography", _("Épidurographie")
    NONE = "none", _("Aucune")


class Procedure(models.Model):
    """One entry of the catalogue; the codes are those of the case contract."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    label_fr = models.CharField(_("libellé (français)"), max_length=120)
    label_en = models.CharField(_("libellé (anglais)"), max_length=120)
    plain_fr = models.CharField(_("description pour le patient (français)"), max_length=200)
    plain_en = models.CharField(_("description pour le patient (anglais)"), max_length=200)
    modality = models.CharField(_("modalité requise"), max_length=20, choices=Modality.choices)
    alt_modality = models.CharField(
        _("autre modalité possible"), max_length=20, choices=Modality.choices, blank=True
    )
    duration_min = models.PositiveSmallIntegerField(
        _("durée par défaut (min)"), validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    consultation_required = models.BooleanField(_("consultation préalable requise"), default=True)
    contrast_confirmation = models.CharField(
        _("confirmation par contraste"),
        max_length=20,
        choices=ContrastConfirmation.choices,
        default=ContrastConfirmation.NONE,
    )
    spine = models.BooleanField(_("geste rachidien"), default=True)
    enabled = models.BooleanField(_("réalisé au centre"), default=True)
    disabled_reason_fr = models.TextField(_("motif de non-réalisation (français)"), blank=True)
    disabled_reason_en = models.TextField(_("motif de non-réalisation (anglais)"), blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("acte")
        verbose_name_plural = _("catalogue des actes")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        from django.utils.translation import get_language

        return self.label_en if (get_language() or "fr").startswith("en") else self.label_fr

    @property
    def plain_label(self) -> str:
        from django.utils.translation import get_language

        return self.plain_en if (get_language() or "fr").startswith("en") else self.plain_fr

    @property
    def disabled_reason(self) -> str:
        from django.utils.translation import get_language

        lang = get_language() or "fr"
        return self.disabled_reason_en if lang.startswith("en") else self.disabled_reason_fr

    def clean(self) -> None:
        if not self.enabled and not self.disabled_reason_fr:
            raise ValidationError(
                {"disabled_reason_fr": _("Indiquez pourquoi cet acte n'est pas réalisé.")}
            )


def _positive(value: float) -> None:
    if value < 0:
        raise ValidationError(_("Une durée ne peut pas être négative."))


class CentreSettings(models.Model):
    """The centre's thresholds and intervals (one row). Defaults: SIR 2019 (`sir2019`)."""

    profile = models.CharField(_("profil de règles"), max_length=20, default="sir2019")
    hemostasis_max_age_days = models.PositiveSmallIntegerField(
        _("âge maximal du bilan d'hémostase (jours)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    platelets_min_high_risk = models.FloatField(
        _("plaquettes minimales, risque hémorragique élevé (G/L)"),
        default=50,
        validators=[MinValueValidator(0), MaxValueValidator(500)],
    )
    platelets_min_low_risk = models.FloatField(
        _("plaquettes minimales, risque faible (G/L)"),
        default=20,
        validators=[MinValueValidator(0), MaxValueValidator(500)],
    )
    inr_max_high_risk = models.FloatField(
        _("INR maximal, risque élevé"),
        default=1.5,
        validators=[MinValueValidator(1.0), MaxValueValidator(5.0)],
    )
    inr_max_low_risk = models.FloatField(
        _("INR maximal, risque faible"),
        default=3.0,
        validators=[MinValueValidator(1.0), MaxValueValidator(5.0)],
    )
    aptt_ratio_max = models.FloatField(
        _("ratio TCA maximal"),
        default=1.2,
        validators=[MinValueValidator(1.0), MaxValueValidator(3.0)],
    )
    childbearing_age_min = models.PositiveSmallIntegerField(
        _("âge de procréation : minimum"), default=12, validators=[MaxValueValidator(120)]
    )
    childbearing_age_max = models.PositiveSmallIntegerField(
        _("âge de procréation : maximum"), default=50, validators=[MaxValueValidator(120)]
    )
    renal_review_crcl_below = models.FloatField(
        _("clairance sous laquelle un anticoagulant rénal est revu (mL/min)"),
        default=15,
        validators=[MinValueValidator(0), MaxValueValidator(300)],
    )
    blood_test_lead_days = models.PositiveSmallIntegerField(
        _("délai laissé pour la prise de sang (jours)"),
        default=2,
        validators=[MaxValueValidator(30)],
    )
    questionnaire_max_age_days = models.PositiveSmallIntegerField(
        _("validité du questionnaire (jours avant le geste)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    patient_change_cutoff_hours = models.PositiveSmallIntegerField(
        _("délai minimal pour déplacer ou annuler en ligne (heures)"),
        default=24,
        validators=[MaxValueValidator(24 * 14)],
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("rappel envoyé (jours avant)"), default=2, validators=[MaxValueValidator(14)]
    )
    waitlist_offer_hours = models.PositiveSmallIntegerField(
        _("durée de réservation d'une offre de créneau (heures)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
    )
    # The crisis policy in force (docs/domain/crisis-triage.md), empty outside a crisis. The
    # crisis room sets it when a crisis starts and clears it when it ends; booking (one floor
    # below crisis) reads it here to size grouped sessions and to respect the policy.
    crisis_policy_id = models.CharField(
        _("politique de crise en vigueur"), max_length=80, blank=True, editable=False
    )
    followup_hours = models.PositiveSmallIntegerField(
        _("suivi après le geste (heures)"),
        default=48,
        validators=[MinValueValidator(24), MaxValueValidator(168)],
    )
    report_link_days = models.PositiveSmallIntegerField(
        _("validité d'un lien sécurisé (jours)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    # The one-month pain measure (issue 13, point 6): the patient is asked again this many days
    # after the procedure.
    outcome_month_days = models.PositiveSmallIntegerField(
        _("mesure de la douleur à un mois (jours après le geste)"),
        default=30,
        validators=[MinValueValidator(14), MaxValueValidator(90)],
    )

    class Meta:
        verbose_name = _("paramètres du centre")
        verbose_name_plural = _("paramètres du centre")

    def __str__(self) -> str:
        return str(_("Paramètres du centre"))

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.childbearing_age_min > self.childbearing_age_max:
            errors["childbearing_age_max"] = _("L'âge maximal doit dépasser l'âge minimal.")
        if self.platelets_min_low_risk > self.platelets_min_high_risk:
            errors["platelets_min_low_risk"] = _(
                "Le seuil du risque faible ne peut pas dépasser celui du risque élevé."
            )
        if self.inr_max_low_risk < self.inr_max_high_risk:
            errors["inr_max_low_risk"] = _(
                "L'INR toléré en risque faible ne peut pas être inférieur à celui du risque élevé."
            )
        if errors:
            raise ValidationError(errors)

    @classmethod
    def current(cls) -> CentreSettings:
        obj = cls.objects.order_by("pk").first()
        if obj is None:
            obj = cls.objects.create()
        return obj


class HoldKey(models.TextChoices):
    """The rules engine's hold keys (geste.rules.settings.HOLD_KEYS; a test keeps them equal):
    an INN, or a heparin row by dose."""

    WARFARIN = "warfarin", _("warfarine")
    ACENOCOUMAROL = "acenocoumarol", _("acénocoumarol")
    HEPARIN = "heparin", _("héparine non fractionnée intraveineuse")
    HEPARIN_CALCIUM_PROPHYLACTIC = (
        "heparin_calcium_prophylactic",
        _("héparine calcique sous-cutanée, dose préventive"),
    )
    HEPARIN_CALCIUM_THERAPEUTIC = (
        "heparin_calcium_therapeutic",
        _("héparine calcique sous-cutanée, dose curative ou inconnue"),
    )
    LMWH_PROPHYLACTIC = "lmwh_prophylactic", _("HBPM, dose préventive")
    LMWH_THERAPEUTIC = "lmwh_therapeutic", _("HBPM, dose curative ou inconnue")
    FONDAPARINUX = "fondaparinux", _("fondaparinux")
    APIXABAN = "apixaban", _("apixaban")
    RIVAROXABAN = "rivaroxaban", _("rivaroxaban")
    DABIGATRAN = "dabigatran", _("dabigatran")
    EDOXABAN = "edoxaban", _("édoxaban")
    CLOPIDOGREL = "clopidogrel", _("clopidogrel")
    TICAGRELOR = "ticagrelor", _("ticagrélor")
    PRASUGREL = "prasugrel", _("prasugrel")


class DrugHoldInterval(models.Model):
    """Minimum time between the last dose and a high-risk procedure (SIR 2019 defaults; ASRA
    2018 for subcutaneous calcium heparin)."""

    settings = models.ForeignKey(CentreSettings, on_delete=models.CASCADE, related_name="holds")
    # A key the engine does not know would be silently ignored: choices refuse it.
    drug = models.CharField(_("médicament (clé DCI)"), max_length=40, choices=HoldKey.choices)
    hours = models.FloatField(_("intervalle (heures)"), validators=[_positive])
    hours_low_crcl = models.FloatField(
        _("intervalle si clairance basse ou inconnue (heures)"),
        null=True,
        blank=True,
        validators=[_positive],
    )
    crcl_threshold = models.FloatField(
        _("seuil de clairance (mL/min)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(300)],
    )

    class Meta:
        verbose_name = _("délai d'arrêt")
        verbose_name_plural = _("délais d'arrêt")
        ordering = ["drug"]
        constraints = [
            models.UniqueConstraint(fields=["settings", "drug"], name="hold_unique_drug"),
            models.CheckConstraint(condition=models.Q(hours__gte=0), name="hold_hours_positive"),
        ]

    def __str__(self) -> str:
        return self.drug

    def clean(self) -> None:
        if (self.hours_low_crcl is None) != (self.crcl_threshold is None):
            raise ValidationError(
                _("Un intervalle selon la clairance demande à la fois le seuil et l'intervalle.")
            )
        if self.hours_low_crcl is not None and self.hours_low_crcl < self.hours:
            raise ValidationError(
                {"hours_low_crcl": _("Une clairance basse ne peut pas raccourcir l'intervalle.")}
            )


class MessageKind(models.TextChoices):
    BOOKED = "booked", _("Rendez-vous confirmé")
    MOVED = "moved", _("Rendez-vous déplacé")
    CANCELLED = "cancelled", _("Rendez-vous annulé")
    PROCEDURE_BOOKED = "procedure_booked", _("Geste programmé")
    WAITLIST_OFFER = "waitlist_offer", _("Créneau proposé (liste d'attente)")
    INSTRUCTIONS_CHANGED = "instructions_changed", _("Consignes modifiées")
    REMINDER = "reminder", _("Rappel de rendez-vous")
    FOLLOWUP_DUE = "followup_due", _("Suivi à remplir")
    FOLLOWUP_MONTH = "followup_month", _("Suivi à un mois à remplir")


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")


class MessageStatus(models.TextChoices):
    SENT = "sent", _("envoyé")
    FAILED = "failed", _("échec")


class SentMessage(models.Model):
    """One message to a patient on one channel: who, when, kind, status. Never its content
    (the administrators' page lists these; the text itself is not kept)."""

    # By name: clinic is below patients in the layers (no import of the model).
    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A masked address when there is no patient (e.g. a sign-up e-mail): "a***@example.org".
    recipient = models.CharField(_("destinataire"), max_length=120, blank=True)
    kind = models.CharField(_("type"), max_length=30, choices=MessageKind.choices)
    channel = models.CharField(_("canal"), max_length=10, choices=MessageChannel.choices)
    status = models.CharField(_("statut"), max_length=10, choices=MessageStatus.choices)
    # The exception's class name only (no address, no text).
    error = models.CharField(_("erreur"), max_length=80, blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("message envoyé")
        verbose_name_plural = _("messages envoyés")

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} {self.status}"
