"""The request: one procedure asked for one patient, and its state machine (pathway.md)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestState(models.TextChoices):
    REQUESTED = "requested", _("Demandé")
    CONSULTATION_BOOKED = "consultation_booked", _("Consultation programmée")
    CONSULTATION_DONE = "consultation_done", _("Consultation faite")
    INDICATION_REFUSED = "indication_refused", _("Indication non retenue")
    VALIDATED = "validated", _("Indication validée")
    PROCEDURE_BOOKED = "procedure_booked", _("Geste programmé")
    CHECKED_IN = "checked_in", _("Patient arrivé")
    READY = "ready", _("Vérification faite")
    PERFORMED = "performed", _("Geste réalisé")
    REPORTED = "reported", _("Compte rendu signé")
    FOLLOWED_UP = "followed_up", _("Suivi fait")
    DEFERRED = "deferred", _("Reporté (crise)")
    IN_DISCUSSION = "in_discussion", _("En discussion (crise)")
    CANCELLED = "cancelled", _("Annulé")


# Requests a crisis policy re-sorts: asked for, booked or validated, not yet performed.
PENDING_STATES = frozenset(
    {
        RequestState.REQUESTED,
        RequestState.CONSULTATION_BOOKED,
        RequestState.CONSULTATION_DONE,
        RequestState.VALIDATED,
        RequestState.PROCEDURE_BOOKED,
    }
)


class Region(models.TextChoices):
    CERVICAL = "cervical", _("Cervical")
    THORACIC = "thoracic", _("Thoracique")
    LUMBAR = "lumbar", _("Lombaire")
    SACRAL = "sacral", _("Sacré")
    PERIPHERAL = "peripheral", _("Périphérique")


class Level3Analgesics(models.TextChoices):
    NOT_TRIED = "not_tried", _("Non essayés")
    EFFECTIVE = "effective", _("Efficaces")
    FAILED = "failed", _("Inefficaces")
    NOT_TOLERATED = "not_tolerated", _("Mal tolérés")


class ProcedureRequest(models.Model):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="requests"
    )
    procedure = models.ForeignKey("clinic.Procedure", on_delete=models.PROTECT)
    region = models.CharField(_("région"), max_length=12, choices=Region.choices, blank=True)
    state = models.CharField(
        _("état"),
        max_length=24,
        choices=RequestState.choices,
        default=RequestState.REQUESTED,
        db_index=True,
    )
    referring_physician = models.CharField(_("médecin adresseur"), max_length=150, blank=True)
    referring_email = models.EmailField(_("e-mail du médecin adresseur"), blank=True)
    referral_letter = models.FileField(
        _("courrier d'adressage"), upload_to="referrals/%Y/%m/", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Clinical facts the safety check and crisis triage read (see case.schema.json). The
    # triage inputs are null until a clinician answers: unknown is not false (rules revision
    # 2); the engine lists them in missing_inputs instead of deciding on a guess.
    severe_pain = models.BooleanField(
        _("douleur invalidante, très intense"), null=True, blank=True, default=None
    )
    pain_nrs = models.PositiveSmallIntegerField(
        _("douleur (EN 0-10)"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    # null = unknown (an empty string would be a value the engine refuses)
    level3_analgesics = models.CharField(  # noqa: DJ001
        _("antalgiques de palier 3"),
        max_length=16,
        choices=Level3Analgesics.choices,
        null=True,
        blank=True,
        default=None,
    )
    neutropenia = models.BooleanField(_("neutropénie"), null=True, blank=True, default=None)
    respiratory_signs = models.BooleanField(
        _("signes respiratoires"), null=True, blank=True, default=None
    )
    acute_arthritis = models.BooleanField(_("arthrite aiguë"), null=True, blank=True, default=None)
    crystal_arthritis = models.BooleanField(
        _("arthrite microcristalline"), null=True, blank=True, default=None
    )
    threatening_lesion = models.BooleanField(
        _("lésion menaçante"), null=True, blank=True, default=None
    )
    local_tumor_control_needed = models.BooleanField(
        _("contrôle tumoral local nécessaire"), null=True, blank=True, default=None
    )
    bedrest_decline_risk = models.BooleanField(
        _("risque de glissement lié à l'alitement"), null=True, blank=True, default=None
    )
    urgent_diagnosis_needed = models.BooleanField(
        _("diagnostic rapide à impact thérapeutique urgent"), null=True, blank=True, default=None
    )
    intrathecal_chemotherapy = models.BooleanField(
        _("chimiothérapie intrathécale"), null=True, blank=True, default=None
    )
    clinicians_confirmed = models.BooleanField(
        _("indication confirmée par les cliniciens référents"), null=True, blank=True
    )
    lesion_count = models.PositiveSmallIntegerField(
        _("nombre de lésions à traiter"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )
    # Decisions
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    validated_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(_("motif du refus"), blank=True)
    cancel_reason = models.TextField(_("motif d'annulation"), blank=True)
    review_on = models.DateField(_("date de réexamen"), null=True, blank=True)
    # Pregnancy question asked again by the technologist on the day (pathway.md step 5); the
    # adapter prefers this answer to the questionnaire's when it is recent enough.
    pregnancy_checked_at = models.DateTimeField(null=True, blank=True)
    pregnancy_checked_answer = models.BooleanField(
        _("grossesse possible (question posée le jour du geste)"), null=True, blank=True
    )
    pregnancy_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("demande d'acte")
        verbose_name_plural = _("demandes d'acte")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "review_on"], name="request_state_review_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.procedure.code} ({self.state})"

    @property
    def indication_validated(self) -> bool:
        return indication_validated(self.validated_at, self.state)


def indication_validated(validated_at: object, state: str) -> bool:
    """Validated by a radiologist and neither refused since nor cancelled."""
    return validated_at is not None and state not in {
        RequestState.INDICATION_REFUSED,
        RequestState.CANCELLED,
    }


class RequestTransition(models.Model):
    """Every state change: who, when, why."""

    request = models.ForeignKey(
        ProcedureRequest, on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(max_length=24, choices=RequestState.choices)
    to_state = models.CharField(max_length=24, choices=RequestState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"request #{self.request_id}: {self.from_state} -> {self.to_state}"


class CabinAssignment(models.Model):
    """A patient's request in a changing cabin, from arrival until released."""

    request = models.ForeignKey(
        ProcedureRequest, on_delete=models.PROTECT, related_name="cabin_assignments"
    )
    cabin = models.ForeignKey("clinic.Cabin", on_delete=models.PROTECT, related_name="assignments")
    assigned_at = models.DateTimeField(_("installé à"))
    released_at = models.DateTimeField(_("libéré à"), null=True, blank=True)

    class Meta:
        verbose_name = _("occupation de cabine")
        verbose_name_plural = _("occupations de cabine")
        constraints = [
            # One patient at a time in a cabin, and one cabin at a time for a request.
            models.UniqueConstraint(
                fields=["cabin"],
                condition=models.Q(released_at__isnull=True),
                name="cabin_one_patient_at_a_time",
            ),
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(released_at__isnull=True),
                name="cabin_one_per_request",
            ),
        ]

    def __str__(self) -> str:
        return f"request #{self.request_id} in cabin #{self.cabin_id}"


# The clinical records of a request (consultation, time-out, procedure, report, follow-up).
from geste.pathway.duty import AlertPage, DutyShift  # noqa: E402
from geste.pathway.formulary import FormularyItem, PrescriptionItem  # noqa: E402
from geste.pathway.records import (  # noqa: E402
    Consultation,
    FollowUp,
    Prescription,
    ProcedureRecord,
    Report,
    ReportAddendum,
    ReportLink,
    TimeOut,
    TimeOutCheck,
)

__all__ = [
    "PENDING_STATES",
    "AlertPage",
    "Consultation",
    "DutyShift",
    "FollowUp",
    "FormularyItem",
    "Level3Analgesics",
    "Prescription",
    "PrescriptionItem",
    "ProcedureRecord",
    "ProcedureRequest",
    "Region",
    "Report",
    "ReportAddendum",
    "ReportLink",
    "RequestState",
    "RequestTransition",
    "TimeOut",
    "TimeOutCheck",
]
