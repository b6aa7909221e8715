"""What the patient's home page shows: next appointment, questionnaire due, new results,
follow-up due. A constant handful of queries, all scoped to the patient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Max
from django.utils import timezone

from geste.audit.models import AuditEvent
from geste.clinic.models import CentreSettings
from geste.pathway.models import FollowUp, ProcedureRequest, Report, RequestState
from geste.pathway.services_after import MONTH_WINDOW
from geste.patients.models import Declaration
from geste.scheduling.models import Appointment, AppointmentKind, AppointmentStatus

# Requests still ahead of the procedure: the questionnaire may be asked for them.
OPEN_STATES = (
    RequestState.REQUESTED,
    RequestState.CONSULTATION_BOOKED,
    RequestState.CONSULTATION_DONE,
    RequestState.VALIDATED,
    RequestState.PROCEDURE_BOOKED,
    RequestState.CHECKED_IN,
)


@dataclass
class Home:
    next_appointment: Appointment | None
    questionnaire_due: bool
    questionnaire_last: Any  # datetime of the latest answers, or None
    new_reports: list[Report]
    followups_due: list[FollowUp]
    months_due: list[FollowUp]  # the one-month pain measure, open now


def questionnaire_due(patient: Any, *, now: Any = None) -> tuple[bool, Any]:
    """Due when a request is open and no answers will still be valid on the day: answers
    count `questionnaire_max_age_days` before the procedure (or now, when none is booked).
    A patient who already answered is asked again only once inside that window."""
    now = now or timezone.now()
    if not ProcedureRequest.objects.filter(patient=patient, state__in=OPEN_STATES).exists():
        return False, None
    last = (
        Declaration.objects.filter(patient=patient)
        .order_by("-answered_at")
        .values_list("answered_at", flat=True)
        .first()
    )
    if last is None:
        return True, None
    procedure = (
        Appointment.objects.filter(
            patient=patient,
            kind=AppointmentKind.PROCEDURE,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
            start__gte=now - timedelta(hours=12),
        )
        .order_by("start")
        .values_list("start", flat=True)
        .first()
    )
    max_age = timedelta(days=CentreSettings.current().questionnaire_max_age_days)
    ref = procedure or now
    stale_on_the_day = last < ref - max_age
    return stale_on_the_day and now >= ref - max_age, last


def home(patient: Any, user: Any) -> Home:
    now = timezone.now()
    due, last = questionnaire_due(patient, now=now)
    last_read = AuditEvent.objects.filter(actor=user, action="results.read").aggregate(
        at=Max("at")
    )["at"]
    reports = Report.objects.filter(request__patient=patient).select_related("request__procedure")
    if last_read is not None:
        reports = reports.filter(signed_at__gt=last_read)
    return Home(
        next_appointment=Appointment.objects.filter(
            patient=patient,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
            start__gte=now - timedelta(hours=1),
        )
        .select_related("room__site", "radiologist", "procedure")
        .order_by("start")
        .first(),
        questionnaire_due=due,
        questionnaire_last=last,
        new_reports=list(reports.order_by("-signed_at")[:5]),
        followups_due=list(
            FollowUp.objects.filter(
                request__patient=patient, answered_at__isnull=True, due_at__lte=now
            )
            .select_related("request__procedure")
            .order_by("due_at")
        ),
        months_due=list(
            FollowUp.objects.filter(
                request__patient=patient,
                request__state__in=(RequestState.REPORTED, RequestState.FOLLOWED_UP),
                month_answered_at__isnull=True,
                month_due_at__lte=now,
                month_due_at__gt=now - MONTH_WINDOW,
            ).order_by("month_due_at")
        ),
    )
