"""Crisis mode: the active policy, policy runs (what-if, applied, review) and their decisions,
discussions with the referring clinicians, and the recovery plan (docs/domain/crisis-triage.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Decision(models.TextChoices):
    MAINTAIN = "maintain", _("Maintenir")
    DEFER = "defer", _("Reporter")
    DISCUSS = "discuss", _("Discuter")
    CONTRAINDICATED = "contraindicated", _("Contre-indiqué")


# Decisions that take the request off the schedule until its review date.
DEFERRING = frozenset({Decision.DEFER, Decision.CONTRAINDICATED})


class CrisisPeriod(models.Model):
    """A crisis: the policy in force from `started_at` until `ended_at` (one active at most)."""

    policy_id = models.CharField(_("politique"), max_length=80)
    policy_version = models.CharField(_("version"), max_length=40)
    active = models.BooleanField(_("active"), default=True)
    started_at = models.DateTimeField(_("début"), default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(_("fin"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("période de crise")
        verbose_name_plural = _("périodes de crise")
        ordering = ["-started_at"]
        constraints = [
            # At most one active crisis, enforced by the database (a partial unique index).
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="crisis_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.started_at:%Y-%m-%d}"


class RunKind(models.TextChoices):
    WHAT_IF = "what_if", _("Simulation")
    APPLIED = "applied", _("Appliquée")
    REVIEW = "review", _("Réexamen à date")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("En attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminée")
    FAILED = "failed", _("Échec")


class PolicyRun(models.Model):
    """One run of a policy over the pending requests. A what-if changes nothing; it becomes
    `applied` when its first decision is confirmed."""

    kind = models.CharField(
        _("type"), max_length=12, choices=RunKind.choices, default=RunKind.WHAT_IF
    )
    status = models.CharField(
        _("statut"), max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    policy_id = models.CharField(_("politique"), max_length=80)
    policy_version = models.CharField(_("version"), max_length=40)
    crisis = models.ForeignKey(
        CrisisPeriod, on_delete=models.PROTECT, null=True, blank=True, related_name="runs"
    )
    today = models.DateField(_("date de triage"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    # Last sign of life of the worker (each chunk): a run "running" without one for
    # whatif.STALE has lost its worker and can be restarted.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    counts = models.JSONField(_("décisions par catégorie"), default=dict, blank=True)
    # {"YYYY-MM-DD" (Monday): minutes} of procedure appointments a deferral would free.
    freed_minutes_by_week = models.JSONField(default=dict, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("passage de politique")
        verbose_name_plural = _("passages de politique")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"run {self.pk} {self.policy_id} ({self.kind})"

    @property
    def percent(self) -> int:
        if self.status == RunStatus.DONE:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0

    @property
    def freed_hours_per_week(self) -> list[tuple[str, float]]:
        return [(k, round(v / 60, 1)) for k, v in sorted(self.freed_minutes_by_week.items())]


class Outcome(models.TextChoices):
    PENDING = "", _("À confirmer")
    APPLIED = "applied", _("Appliquée")
    SKIPPED = "skipped", _("Sans objet (la demande a changé)")


class RunDecision(models.Model):
    """The policy's proposal for one request, and what a clinician made of it."""

    run = models.ForeignKey(PolicyRun, on_delete=models.CASCADE, related_name="decisions")
    request = models.ForeignKey(
        "pathway.ProcedureRequest", on_delete=models.CASCADE, related_name="crisis_decisions"
    )
    request_state = models.CharField(max_length=24)  # the state when the run saw it
    procedure = models.CharField(max_length=40)
    proposed = models.CharField(_("proposée"), max_length=16, choices=Decision.choices)
    rules = models.JSONField(_("règles"), default=list)
    review_on = models.DateField(_("date de réexamen"), null=True, blank=True)
    group_lesions = models.BooleanField(default=False)
    freed_minutes = models.PositiveIntegerField(default=0)
    # Unknown inputs that could change the decision (rules revision 2): "to complete", never
    # applied in bulk, applied one by one by a clinician with a reason.
    missing_inputs = models.JSONField(_("données manquantes"), default=list, blank=True)
    final = models.CharField(_("retenue"), max_length=16, choices=Decision.choices, blank=True)
    override_reason = models.TextField(_("motif du changement"), blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True, default="")

    class Meta:
        verbose_name = _("décision de crise")
        verbose_name_plural = _("décisions de crise")
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "proposed"], name="crisis_dec_run_proposed_idx")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.proposed}"

    @property
    def overridden(self) -> bool:
        return bool(self.final) and self.final != self.proposed

    @property
    def to_complete(self) -> bool:
        return bool(self.missing_inputs)


class Discussion(models.Model):
    """A case put to the referring clinician(s); answered through a secure link or by staff.

    Only the SHA-256 of the link's token is stored: a leaked database gives no working link.
    """

    request = models.ForeignKey(
        "pathway.ProcedureRequest", on_delete=models.CASCADE, related_name="crisis_discussions"
    )
    decision = models.ForeignKey(
        RunDecision, on_delete=models.SET_NULL, null=True, blank=True, related_name="discussions"
    )
    policy_id = models.CharField(max_length=80)
    policy_version = models.CharField(max_length=40)
    addressed_to = models.CharField(_("médecin adresseur"), max_length=150, blank=True)
    addressed_email = models.EmailField(_("e-mail"), blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("lien valable jusqu'au"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("réponse le"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_via = models.CharField(max_length=8, blank=True)  # "link" | "staff"
    clinicians_confirmed = models.BooleanField(null=True, blank=True)
    threatening_lesion = models.BooleanField(default=False)
    severe_pain = models.BooleanField(default=False)
    local_tumor_control_needed = models.BooleanField(default=False)
    result_decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    result_rules = models.JSONField(default=list, blank=True)
    # The inputs the answer gave (request field -> value), shown on the request page.
    answers = models.JSONField(default=dict, blank=True)
    # Closed at the end of the crisis: the link no longer works; a later answer is kept as
    # information only (nothing re-sorted).
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True)
    information_only = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("discussion avec les cliniciens")
        verbose_name_plural = _("discussions avec les cliniciens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"discussion {self.pk} (request {self.request_id})"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.closed_at is None

    @property
    def by_telephone(self) -> bool:
        """No referrer address: a staff task (telephone), answered by staff."""
        return not self.addressed_email


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposé")
    ACCEPTED = "accepted", _("Accepté")
    DISCARDED = "discarded", _("Abandonné")


class RecoveryPlan(models.Model):
    """The re-booking of the deferred backlog at the end of a crisis (CP-SAT), with the
    first-come-first-served plan computed alongside for comparison."""

    crisis = models.ForeignKey(CrisisPeriod, on_delete=models.PROTECT, related_name="plans")
    status = models.CharField(
        max_length=12, choices=PlanStatus.choices, default=PlanStatus.PROPOSED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    horizon_start = models.DateField()
    horizon_end = models.DateField()
    solver_status = models.CharField(max_length=16, blank=True)
    solve_seconds = models.FloatField(default=0)
    objective = models.BigIntegerField(default=0)
    best_bound = models.BigIntegerField(null=True, blank=True)
    gap_pct = models.FloatField(null=True, blank=True)
    weighted_waiting = models.BigIntegerField(default=0)
    fcfs_objective = models.BigIntegerField(default=0)
    fcfs_weighted_waiting = models.BigIntegerField(default=0)
    recovery_date = models.DateField(null=True, blank=True)
    fcfs_recovery_date = models.DateField(null=True, blank=True)
    unplanned = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("plan de reprise")
        verbose_name_plural = _("plans de reprise")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"plan {self.pk} ({self.status})"

    @property
    def saving_pct(self) -> float | None:
        if not self.fcfs_weighted_waiting:
            return None
        return round(100 * (1 - self.weighted_waiting / self.fcfs_weighted_waiting), 1)


class RecoveryItem(models.Model):
    plan = models.ForeignKey(RecoveryPlan, on_delete=models.CASCADE, related_name="items")
    request = models.ForeignKey(
        "pathway.ProcedureRequest", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16)  # AppointmentKind value
    duration_min = models.PositiveSmallIntegerField()
    priority_weight = models.PositiveSmallIntegerField()
    requested_on = models.DateField()
    earliest = models.DateField()
    grouped = models.BooleanField(default=False)
    day = models.DateField(null=True, blank=True)  # null: not planned within the horizon
    room = models.ForeignKey(
        "clinic.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    radiologist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    fcfs_day = models.DateField(null=True, blank=True)
    removed = models.BooleanField(default=False)
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["day", "room_id", "-priority_weight", "id"]

    def __str__(self) -> str:
        return f"item {self.pk} {self.day}"


class JobKind(models.TextChoices):
    APPLY = "apply", _("Application en bloc")
    PLAN_CREATE = "plan_create", _("Préparation du plan de reprise")
    PLAN_ACCEPT = "plan_accept", _("Acceptation du plan de reprise")


class CrisisJob(models.Model):
    """Bulk work run in the background (django-tasks) with its progress.

    Idempotent and resumable: each unit of work is committed on its own and marks what it
    did (the decision's outcome, the item's appointment), so a job started again after a
    worker died skips what is done. A job whose heartbeat is older than `STALE` is taken to
    be dead and may be resumed (never left "running")."""

    kind = models.CharField(max_length=12, choices=JobKind.choices)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED)
    run = models.ForeignKey(
        PolicyRun, on_delete=models.CASCADE, null=True, blank=True, related_name="jobs"
    )
    proposed = models.CharField(max_length=16, blank=True)
    plan = models.ForeignKey(
        RecoveryPlan, on_delete=models.CASCADE, null=True, blank=True, related_name="jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"job {self.pk} {self.kind} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == RunStatus.DONE:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0
