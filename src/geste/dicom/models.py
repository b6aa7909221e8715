"""The equipment side: stations (rooms' AE titles), performed procedure steps (MPPS), dose
reports (RDSR) with their irradiation events, dose alert settings and the alerts raised."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL

# DICOM AE titles: up to 16 characters of the default repertoire, no backslash, no control
# characters; we also refuse spaces so that what an engineer types is what the unit sends.
AE_TITLE = RegexValidator(
    r"^[A-Za-z0-9_.\-]{1,16}$", _("Titre AE : 1 à 16 caractères A-Z 0-9 _ . -")
)


class StationModality(models.TextChoices):
    XA = "XA", _("XA : arceau / angiographie")
    RF = "RF", _("RF : table télécommandée")
    CT = "CT", _("CT : scanner")
    US = "US", _("US : échographe")


class ModalityStation(models.Model):
    """One piece of equipment in a room, known by the AE title it calls us with."""

    room = models.ForeignKey("clinic.Room", on_delete=models.PROTECT, related_name="dicom_stations")
    ae_title = models.CharField(_("titre AE"), max_length=16, unique=True, validators=[AE_TITLE])
    station_name = models.CharField(_("nom de station DICOM"), max_length=16, blank=True)
    modality = models.CharField(
        _("modalité DICOM"), max_length=2, choices=StationModality.choices, default="XA"
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("station DICOM")
        verbose_name_plural = _("stations DICOM")
        ordering = ["ae_title"]

    def __str__(self) -> str:
        return self.ae_title


class StepStatus(models.TextChoices):
    IN_PROGRESS = "IN PROGRESS", _("En cours")
    COMPLETED = "COMPLETED", _("Terminé")
    DISCONTINUED = "DISCONTINUED", _("Interrompu")


class PerformedStep(models.Model):
    """A Modality Performed Procedure Step as the unit reported it (N-CREATE, then N-SET)."""

    sop_instance_uid = models.CharField(max_length=64, unique=True)
    station = models.ForeignKey(ModalityStation, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="performed_steps",
    )
    request = models.ForeignKey(
        "pathway.ProcedureRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="performed_steps",
    )
    status = models.CharField(max_length=16, choices=StepStatus.choices)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    discontinuation_reason = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("étape réalisée (MPPS)")
        verbose_name_plural = _("étapes réalisées (MPPS)")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"MPPS {self.sop_instance_uid} ({self.status})"


class MatchMethod(models.TextChoices):
    STUDY_UID = "study_uid", _("UID d'étude de la liste de travail")
    ACCESSION = "accession", _("Numéro d'accès")
    PATIENT_DATE = "patient_date", _("Patient et date")
    MANUAL = "manual", _("Rapproché à la main")


class DoseReport(models.Model):
    """One X-Ray Radiation Dose SR as received, with its totals in the clinic's units.

    Kept even when it matches no procedure (`request` empty): staff match it later.
    """

    sop_instance_uid = models.CharField(max_length=64, unique=True)
    study_instance_uid = models.CharField(max_length=64, blank=True, db_index=True)
    accession_number = models.CharField(max_length=16, blank=True, db_index=True)
    calling_ae = models.CharField(max_length=16)
    station = models.ForeignKey(
        ModalityStation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    manufacturer = models.CharField(max_length=64, blank=True)
    model_name = models.CharField(max_length=64, blank=True)
    # Who the file says it is about, to let staff match an orphan; never logged.
    dicom_patient_id = models.CharField(max_length=64, blank=True)
    dicom_patient_name = models.CharField(max_length=200, blank=True)
    dicom_birth_date = models.DateField(null=True, blank=True)
    performed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Totals over every acquisition plane (two for a biplane unit).
    dap_gy_cm2 = models.FloatField(_("PDS total (Gy·cm²)"))
    fluoro_dap_gy_cm2 = models.FloatField(null=True, blank=True)
    acquisition_dap_gy_cm2 = models.FloatField(null=True, blank=True)
    rak_mgy = models.FloatField(_("kerma au point de référence (mGy)"), null=True, blank=True)
    fluoro_time_s = models.FloatField(_("temps de scopie (s)"), null=True, blank=True)
    event_count = models.PositiveIntegerField(default=0)
    source_file = models.FileField(upload_to="rdsr/%Y/%m/")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    request = models.ForeignKey(
        "pathway.ProcedureRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dose_reports",
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dose_reports",
    )
    match_method = models.CharField(max_length=16, choices=MatchMethod.choices, blank=True)
    matched_at = models.DateTimeField(null=True, blank=True)
    matched_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("rapport de dose (RDSR)")
        verbose_name_plural = _("rapports de dose (RDSR)")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["request", "received_at"], name="dose_request_idx")]

    def __str__(self) -> str:
        return f"RDSR {self.sop_instance_uid}"


class IrradiationEvent(models.Model):
    report = models.ForeignKey(DoseReport, on_delete=models.CASCADE, related_name="events")
    event_uid = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    event_type = models.CharField(max_length=64, blank=True)
    plane = models.CharField(max_length=32, blank=True)
    dap_gy_cm2 = models.FloatField(null=True, blank=True)
    rak_mgy = models.FloatField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["report_id", "started_at", "id"]

    def __str__(self) -> str:
        return f"irradiation event {self.event_uid or self.pk} of report #{self.report_id}"


class DoseAlertSettings(models.Model):
    """The centre's dose alert levels (one row), each with the text it comes from."""

    lookback_days = models.PositiveSmallIntegerField(
        _("fenêtre de cumul (jours)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    lookback_source = models.CharField(
        _("source de la fenêtre"),
        max_length=200,
        default="NCRP Report 168 (2010) : additionner les gestes des 60 jours précédents",
    )
    cumulative_dap_gy_cm2 = models.FloatField(
        _("seuil de PDS cumulé (Gy·cm²)"),
        default=500,
        validators=[MinValueValidator(0.1), MaxValueValidator(100000)],
    )
    cumulative_rak_gy = models.FloatField(
        _("seuil de kerma cumulé au point de référence (Gy)"),
        default=5,
        validators=[MinValueValidator(0.01), MaxValueValidator(100)],
    )
    cumulative_source = models.CharField(
        _("source des seuils cumulés"),
        max_length=200,
        default="NCRP Report 168 (2010) : niveaux de dose substantielle "
        "(Ka,r 5 Gy, PKA 500 Gy·cm²)",
    )
    procedure_rak_gy = models.FloatField(
        _("seuil par geste : kerma au point de référence (Gy)"),
        default=3,
        validators=[MinValueValidator(0.01), MaxValueValidator(100)],
    )
    procedure_source = models.CharField(
        _("source du seuil par geste"),
        max_length=200,
        default="CIPR 85 (2000) : suivi cutané à partir de 3 Gy à la peau",
    )
    notify_by_email = models.BooleanField(_("prévenir le radiologue par e-mail"), default=True)

    class Meta:
        verbose_name = _("seuils d'alerte de dose")
        verbose_name_plural = _("seuils d'alerte de dose")

    def __str__(self) -> str:
        return str(_("Seuils d'alerte de dose"))

    @classmethod
    def current(cls) -> DoseAlertSettings:
        obj = cls.objects.order_by("pk").first()
        if obj is None:
            obj = cls.objects.create()
        return obj


class AlertKind(models.TextChoices):
    PROCEDURE_RAK = "procedure_rak", _("Kerma du geste au-dessus du seuil (suivi cutané)")
    CUMULATIVE_RAK = "cumulative_rak", _("Kerma cumulé au-dessus du seuil")
    CUMULATIVE_DAP = "cumulative_dap", _("PDS cumulé au-dessus du seuil")


class DoseAlert(models.Model):
    """A threshold crossed by a dose report; shown to radiologists until acknowledged."""

    report = models.ForeignKey(DoseReport, on_delete=models.CASCADE, related_name="alerts")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    value = models.FloatField()  # Gy or Gy·cm², as the kind says
    threshold = models.FloatField()
    source = models.CharField(max_length=200)
    window_days = models.PositiveSmallIntegerField(null=True, blank=True)
    radiologist = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    acknowledged_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alerte de dose")
        verbose_name_plural = _("alertes de dose")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "kind"], name="dose_alert_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} alert on report #{self.report_id}"
