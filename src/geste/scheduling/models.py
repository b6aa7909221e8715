"""Appointments (consultations and procedures). Capacity models are added beside them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppointmentKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    PROCEDURE = "procedure", _("Geste")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Programmé")
    CHECKED_IN = "checked_in", _("Arrivé")
    DONE = "done", _("Réalisé")
    CANCELLED = "cancelled", _("Annulé")
    NO_SHOW = "no_show", _("Absent")


# Statuses that hold a room, a radiologist and the patient's time.
ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.DONE)


class Appointment(models.Model):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    request = models.ForeignKey(
        "pathway.ProcedureRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    kind = models.CharField(_("type"), max_length=16, choices=AppointmentKind.choices)
    procedure = models.ForeignKey("clinic.Procedure", on_delete=models.PROTECT)
    room = models.ForeignKey("clinic.Room", on_delete=models.PROTECT, related_name="+")
    radiologist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateTimeField(_("début"), db_index=True)
    end = models.DateTimeField(_("fin"))
    status = models.CharField(
        _("statut"),
        max_length=12,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.BOOKED,
        db_index=True,
    )
    video = models.BooleanField(_("téléconsultation"), default=False)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancel_reason = models.TextField(_("motif d'annulation"), blank=True)
    override_reason = models.TextField(_("motif du forçage"), blank=True)

    class Meta:
        verbose_name = _("rendez-vous")
        verbose_name_plural = _("rendez-vous")
        ordering = ["start"]
        indexes = [
            models.Index(fields=["room", "start"], name="appt_room_start_idx"),
            models.Index(fields=["radiologist", "start"], name="appt_radiologist_start_idx"),
            models.Index(fields=["patient", "start"], name="appt_patient_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="appt_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.start:%Y-%m-%d %H:%M}"


# --- capacity --------------------------------------------------------------------------------


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("lundi")
    TUESDAY = 1, _("mardi")
    WEDNESDAY = 2, _("mercredi")
    THURSDAY = 3, _("jeudi")
    FRIDAY = 4, _("vendredi")
    SATURDAY = 5, _("samedi")
    SUNDAY = 6, _("dimanche")


class OpeningHours(models.Model):
    """One opening window of a room on a weekday (several rows for a split day)."""

    room = models.ForeignKey("clinic.Room", on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    start = models.TimeField(_("ouverture"))
    end = models.TimeField(_("fermeture"))

    class Meta:
        verbose_name = _("horaire d'ouverture")
        verbose_name_plural = _("horaires d'ouverture")
        ordering = ["room_id", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="opening_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.room_id} {self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class Closure(models.Model):
    """A room (or the whole centre when room is empty) closed for a period."""

    room = models.ForeignKey(
        "clinic.Room", on_delete=models.CASCADE, null=True, blank=True, related_name="closures"
    )
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    reason = models.CharField(_("motif"), max_length=200)

    class Meta:
        verbose_name = _("fermeture")
        verbose_name_plural = _("fermetures")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="closure_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d} {self.reason}"


class RosterEntry(models.Model):
    """When (and optionally where) a radiologist works, each week."""

    radiologist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roster_entries"
    )
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    start = models.TimeField(_("début"))
    end = models.TimeField(_("fin"))
    room = models.ForeignKey(
        "clinic.Room",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Vide : n'importe quelle salle."),
    )

    class Meta:
        verbose_name = _("présence d'un radiologue")
        verbose_name_plural = _("planning des radiologues")
        ordering = ["radiologist_id", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="roster_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.radiologist_id} {self.get_weekday_display()} {self.start:%H:%M}"


class RadiologistSkill(models.Model):
    """A procedure a radiologist performs."""

    radiologist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skills"
    )
    procedure = models.ForeignKey("clinic.Procedure", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("acte pratiqué")
        verbose_name_plural = _("actes pratiqués")
        constraints = [
            models.UniqueConstraint(fields=["radiologist", "procedure"], name="skill_unique")
        ]

    def __str__(self) -> str:
        return f"{self.radiologist_id}:{self.procedure_id}"


# --- waiting list ----------------------------------------------------------------------------


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("En attente")
    SERVED = "served", _("Servi")
    WITHDRAWN = "withdrawn", _("Retiré")


class WaitlistEntry(models.Model):
    """A patient with a validated indication who asks for an earlier slot than theirs."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    request = models.ForeignKey(
        "pathway.ProcedureRequest", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Le rendez-vous actuel, à avancer."),
    )
    # Lower is served first; computed from the request's clinical priority, reorderable.
    priority = models.SmallIntegerField(_("priorité"), default=100)
    status = models.CharField(
        max_length=12, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    created_at = models.DateTimeField(_("inscrit le"), auto_now_add=True)
    reorder_reason = models.TextField(_("motif du changement d'ordre"), blank=True)

    class Meta:
        verbose_name = _("inscription en liste d'attente")
        verbose_name_plural = _("liste d'attente")
        ordering = ["priority", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status="waiting"),
                name="waitlist_one_waiting_per_request",
            )
        ]

    def __str__(self) -> str:
        return f"waitlist entry #{self.pk} for request #{self.request_id} ({self.status})"


class OfferStatus(models.TextChoices):
    PENDING = "pending", _("Proposée")
    ACCEPTED = "accepted", _("Acceptée")
    DECLINED = "declined", _("Refusée")
    EXPIRED = "expired", _("Expirée")


class WaitlistOffer(models.Model):
    """A freed slot held for one waiting patient until `expires_at`."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    start = models.DateTimeField()
    end = models.DateTimeField()
    room = models.ForeignKey("clinic.Room", on_delete=models.CASCADE, related_name="+")
    radiologist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    expires_at = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=OfferStatus.choices, default=OfferStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"offer #{self.pk} to waitlist entry #{self.entry_id} ({self.status})"


class HoldStatus(models.TextChoices):
    HELD = "held", _("Retenu")
    BOOKED = "booked", _("Réservé")
    RELEASED = "released", _("Libéré")


class SlotHoldQuerySet(models.QuerySet["SlotHold"]):
    def unexpired(self) -> SlotHoldQuerySet:
        """Holds that still keep their time: held, not yet expired."""
        return self.filter(status=HoldStatus.HELD, expires_at__gt=timezone.now())


class SlotHold(models.Model):
    """A time kept for one holder (and her patient, if named) for a few minutes, e.g. FHIR's
    `Appointment/$hold` (IHE ITI-116). Until `expires_at` no one else is offered or may book the
    room or the radiologist then (`services.check_free`, `calendars.load_busy`); the holder's
    own booking of the held patient goes through and marks it booked. Kept here, beside the
    waiting-list offers, so that every booking path sees it, not only the API's."""

    room = models.ForeignKey("clinic.Room", on_delete=models.CASCADE, related_name="+")
    radiologist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=AppointmentKind.choices)
    procedure = models.ForeignKey("clinic.Procedure", on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    expires_at = models.DateTimeField()
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=HoldStatus.choices, default=HoldStatus.HELD)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SlotHoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("créneau retenu")
        verbose_name_plural = _("créneaux retenus")
        indexes = [models.Index(fields=["status", "start"], name="slot_hold_status_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="slot_hold_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"hold #{self.pk} ({self.status})"


# --- reminders and API idempotency -----------------------------------------------------------


class ReminderChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class ReminderSent(models.Model):
    """One reminder per appointment and channel: the unique row makes a re-run a no-op."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=ReminderChannel.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appointment", "channel"], name="reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.channel} reminder for appointment #{self.appointment_id}"


class IdempotencyKey(models.Model):
    """The first response to an API write sent with an `Idempotency-Key` header."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"idempotency key #{self.pk} of user #{self.user_id}"
