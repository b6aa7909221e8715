"""Clinical records of a request, in pathway order (pathway.md steps 2-10).

Imported by `pathway.models` so that Django registers them in the `pathway` app.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from geste.clinic.selectors import site_zone
from geste.scheduling.models import Appointment, AppointmentKind, AppointmentStatus

USER = settings.AUTH_USER_MODEL


class Consultation(models.Model):
    """The pre-procedure consultation: always, before any procedure (pathway.md step 2)."""

    request = models.OneToOneField(
        "pathway.ProcedureRequest", on_delete=models.CASCADE, related_name="consultation"
    )
    radiologist = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    history = models.TextField(_("antécédents et histoire"), blank=True)
    indication = models.TextField(_("indication"), blank=True)
    benefit_risk = models.TextField(_("balance bénéfice/risque"), blank=True)
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "pathway"

    def __str__(self) -> str:
        return f"consultation for request #{self.request_id}"


class PrescriptionKind(models.TextChoices):
    BLOOD_TEST = "blood_test", _("Bilan d'hémostase")
    PRODUCTS = "products", _("Produits du geste")


class Prescription(models.Model):
    """A prescription: formulary lines (`items`) and free lines (`lines`: the blood tests,
    dressings, kits). A draft until a radiologist signs it; no change after."""

    request = models.ForeignKey(
        "pathway.ProcedureRequest", on_delete=models.CASCADE, related_name="prescriptions"
    )
    kind = models.CharField(max_length=16, choices=PrescriptionKind.choices)
    lines = models.JSONField(default=list)  # free lines, in French
    prescriber = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Blood test without a booked procedure: the date the blood-test lead allows (validation
    # day + CentreSettings.blood_test_lead_days); once booked, the procedure's day wins.
    perform_before_default = models.DateField(null=True, blank=True)

    class Meta:
        app_label = "pathway"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} prescription #{self.pk} for request #{self.request_id}"

    @property
    def signed(self) -> bool:
        return self.signed_at is not None

    @property
    def perform_before(self) -> date | None:
        """ "À réaliser avant le ...": the procedure's day when booked, else the default."""
        if self.kind != PrescriptionKind.BLOOD_TEST:
            return None
        appt = (
            Appointment.objects.filter(
                request_id=self.request_id,
                kind=AppointmentKind.PROCEDURE,
                status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
            )
            .select_related("room__site")
            .order_by("start")
            .first()
        )
        if appt is not None:  # the procedure's local day, at its site
            return appt.start.astimezone(site_zone(appt.room.site.time_zone)).date()
        return self.perform_before_default


class TimeOutOutcome(models.TextChoices):
    PASSED = "passed", _("Vérification validée")
    BLOCKED = "blocked", _("Geste bloqué")


class TimeOut(models.Model):
    """The radiologist's final check: the engine's verdict and every clearance, as shown."""

    request = models.ForeignKey(
        "pathway.ProcedureRequest", on_delete=models.CASCADE, related_name="timeouts"
    )
    radiologist = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    verdict = models.CharField(max_length=8)  # go | review | no_go
    bleeding_risk = models.CharField(max_length=4)
    findings = models.JSONField(default=list)  # [{"code", "severity", "rule", "source", "detail"}]
    clearances = models.JSONField(default=dict)  # {code: written reason}
    outcome = models.CharField(max_length=8, choices=TimeOutOutcome.choices)

    class Meta:
        app_label = "pathway"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"time-out #{self.pk} for request #{self.request_id} ({self.outcome})"


class ChecklistItem(models.TextChoices):
    """The HAS checklist for interventional radiology, items checked before the verdict."""

    IDENTITY = "identity", _("Identité du patient (nom et date de naissance)")
    PROCEDURE = "procedure", _("Geste prévu")
    SITE = "site", _("Niveau et côté")
    INFORMED = "informed", _("Patient informé de la procédure")
    EQUIPMENT = "equipment", _("Matériel et produits prêts et vérifiés")


class ChecklistRole(models.TextChoices):
    RADIOLOGIST = "radiologist", _("Radiologue")
    TECHNOLOGIST = "technologist", _("Manipulateur")


class TimeOutCheck(models.Model):
    """One confirmation of one checklist item, by whom and when (the radiologist and the
    technologist each confirm every item)."""

    request = models.ForeignKey(
        "pathway.ProcedureRequest", on_delete=models.CASCADE, related_name="timeout_checks"
    )
    role = models.CharField(max_length=12, choices=ChecklistRole.choices)
    item = models.CharField(max_length=12, choices=ChecklistItem.choices)
    answer = models.BooleanField()
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        app_label = "pathway"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.role} {self.item}={self.answer} for request #{self.request_id}"


class Side(models.TextChoices):
    LEFT = "left", _("Gauche")
    RIGHT = "right", _("Droite")
    BILATERAL = "bilateral", _("Bilatéral")
    MEDIAN = "median", _("Médian")


class ProcedureRecord(models.Model):
    """What was done (pathway.md step 7); units and ranges validated by the form."""

    request = models.OneToOneField(
        "pathway.ProcedureRequest", on_delete=models.CASCADE, related_name="record"
    )
    operator = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    route = models.CharField(_("voie d'abord"), max_length=80)
    levels = models.CharField(_("niveau(x)"), max_length=80)
    side = models.CharField(_("côté"), max_length=10, choices=Side.choices)
    # Never pre-ticked: the operator ticks it (issue 10, point 7).
    asepsis = models.BooleanField(_("asepsie chirurgicale respectée"), default=False)
    contrast_product = models.CharField(_("produit de contraste"), max_length=80, blank=True)
    contrast_volume_ml = models.FloatField(
        _("volume de contraste (mL)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    contrast_lot = models.CharField(_("lot du contraste"), max_length=40, blank=True)
    confirmation = models.CharField(_("contrôle par contraste"), max_length=20, blank=True)
    confirmation_none_reason = models.TextField(
        _("motif d'absence de contrôle par contraste"), blank=True
    )
    contrast_item = models.ForeignKey(
        "pathway.FormularyItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("produit de contraste"),
    )
    drug_item = models.ForeignKey(
        "pathway.FormularyItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("produit injecté"),
    )
    drug = models.CharField(_("produit injecté"), max_length=80, blank=True)
    drug_dose_mg = models.FloatField(
        _("dose (mg)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(500)],
    )
    drug_lot = models.CharField(_("lot du produit"), max_length=40, blank=True)
    fluoroscopy_s = models.PositiveIntegerField(
        _("temps de scopie (s)"), validators=[MaxValueValidator(7200)]
    )
    dap_mgy_cm2 = models.FloatField(
        _("produit dose-surface (mGy·cm²)"),
        validators=[MinValueValidator(0), MaxValueValidator(500000)],
    )
    reference_air_kerma_mgy = models.FloatField(
        _("kerma dans l'air au point de référence (mGy)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(50000)],
    )
    immediate_events = models.TextField(_("événements immédiats"), blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "pathway"

    def __str__(self) -> str:
        return f"procedure record for request #{self.request_id}"


class Report(models.Model):
    """The signed report: immutable once written (corrections are `ReportAddendum`s). The dose
    and the facts of the procedure are structured fields copied from the record at signature,
    printed whatever the free text says."""

    request = models.OneToOneField(
        "pathway.ProcedureRequest", on_delete=models.CASCADE, related_name="report"
    )
    text = models.TextField(_("texte du compte rendu"))
    conclusion = models.TextField(_("conclusion"), blank=True)
    signed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    performed_at = models.DateTimeField(_("date du geste"), null=True, blank=True)
    operator = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    technique = models.TextField(_("technique"), blank=True)
    dap_mgy_cm2 = models.FloatField(_("produit dose-surface (mGy·cm²)"), null=True, blank=True)
    fluoroscopy_s = models.PositiveIntegerField(_("temps de scopie (s)"), null=True, blank=True)
    reference_air_kerma_mgy = models.FloatField(
        _("kerma dans l'air au point de référence (mGy)"), null=True, blank=True
    )

    class Meta:
        app_label = "pathway"

    def __str__(self) -> str:
        return f"report for request #{self.request_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A signed report never changes (legal record): corrections are addenda.
        if self.pk is not None and Report.objects.filter(pk=self.pk).exists():
            raise ReportImmutable(
                _("Un compte rendu signé ne se modifie pas : ajoutez un addendum.")
            )
        super().save(*args, **kwargs)


class ReportImmutable(Exception):
    pass


class ReportAddendum(models.Model):
    """A correction or complement to a signed report, signed and versioned (2, 3, ...; the
    report itself is version 1)."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="addenda")
    version = models.PositiveSmallIntegerField()
    text = models.TextField(_("texte de l'addendum"))
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()

    class Meta:
        app_label = "pathway"
        ordering = ["version"]
        constraints = [
            models.UniqueConstraint(fields=["report", "version"], name="addendum_version_unique")
        ]

    def __str__(self) -> str:
        return f"addendum v{self.version} to report #{self.report_id}"


class ReportLink(models.Model):
    """A secure, expiring link for the referring physician; only the token's hash is kept.
    Staff may revoke it; it opens at most `max_reads` times (pathway/report_links.py)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    max_reads = models.PositiveSmallIntegerField(_("lectures permises"), default=10)
    reads = models.PositiveIntegerField(_("lectures"), default=0)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        app_label = "pathway"

    def __str__(self) -> str:
        return f"link #{self.pk} to report #{self.report_id}"


class FollowUp(models.Model):
    """The follow-up questionnaire 48-72 h after (pathway.md step 10)."""

    request = models.OneToOneField(
        "pathway.ProcedureRequest", on_delete=models.CASCADE, related_name="followup"
    )
    due_at = models.DateTimeField(db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    pain_now = models.PositiveSmallIntegerField(
        _("douleur actuelle (0-10)"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    adverse_events = models.JSONField(default=list, blank=True)
    comment = models.TextField(_("commentaire"), blank=True)
    alert = models.BooleanField(default=False, db_index=True)
    alert_cleared_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    alert_cleared_at = models.DateTimeField(null=True, blank=True)
    alert_note = models.TextField(blank=True)
    # Set when the "a questionnaire awaits you" e-mail/SMS went out: one reminder per procedure.
    reminded_at = models.DateTimeField(null=True, blank=True)
    # The one-month pain measure (issue 13, point 6): asked `CentreSettings.outcome_month_days`
    # after the procedure by its own message (pathway/reminders.py), answered on the portal.
    month_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    month_reminded_at = models.DateTimeField(null=True, blank=True)
    month_answered_at = models.DateTimeField(null=True, blank=True)
    pain_month = models.PositiveSmallIntegerField(
        _("douleur à un mois (0-10)"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )

    class Meta:
        app_label = "pathway"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pain_now__lte=10) & models.Q(pain_month__lte=10),
                name="followup_pain_0_10",
            ),
            # An answer at one month has its value, and a value its answer time.
            models.CheckConstraint(
                condition=models.Q(month_answered_at__isnull=True, pain_month__isnull=True)
                | models.Q(month_answered_at__isnull=False, pain_month__isnull=False),
                name="followup_month_answer_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"follow-up for request #{self.request_id}"
