"""Clinical records of a request, in pathway order (pathway.md steps 2-10).

Imported by `pathway.models` so that Django registers them in the `pathway` app.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

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
    request = models.ForeignKey(
        "pathway.ProcedureRequest", on_delete=models.CASCADE, related_name="prescriptions"
    )
    kind = models.CharField(max_length=16, choices=PrescriptionKind.choices)
    lines = models.JSONField(default=list)  # the items prescribed, in French
    prescriber = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "pathway"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} prescription #{self.pk} for request #{self.request_id}"


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
    findings = models.JSONField(default=list)  # [{"code", "severity", "detail"}]
    clearances = models.JSONField(default=dict)  # {code: written reason}
    outcome = models.CharField(max_length=8, choices=TimeOutOutcome.choices)

    class Meta:
        app_label = "pathway"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"time-out #{self.pk} for request #{self.request_id} ({self.outcome})"


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
    asepsis = models.BooleanField(_("asepsie chirurgicale respectée"), default=True)
    contrast_product = models.CharField(_("produit de contraste"), max_length=80, blank=True)
    contrast_volume_ml = models.FloatField(
        _("volume de contraste (mL)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    contrast_lot = models.CharField(_("lot du contraste"), max_length=40, blank=True)
    confirmation = models.CharField(_("contrôle par contraste"), max_length=20, blank=True)
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
    immediate_events = models.TextField(_("événements immédiats"), blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "pathway"

    def __str__(self) -> str:
        return f"procedure record for request #{self.request_id}"


class Report(models.Model):
    request = models.OneToOneField(
        "pathway.ProcedureRequest", on_delete=models.CASCADE, related_name="report"
    )
    text = models.TextField(_("texte du compte rendu"))
    conclusion = models.TextField(_("conclusion"), blank=True)
    signed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()

    class Meta:
        app_label = "pathway"

    def __str__(self) -> str:
        return f"report for request #{self.request_id}"


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

    class Meta:
        app_label = "pathway"

    def __str__(self) -> str:
        return f"follow-up for request #{self.request_id}"
