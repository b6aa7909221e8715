"""Reads of declarations and lab results."""

from __future__ import annotations

from datetime import datetime, timedelta

from geste.clinic.models import CentreSettings
from geste.patients.models import Declaration, LabResult, Patient


def fresh_declaration(patient: Patient, *, before: datetime) -> Declaration | None:
    """The latest questionnaire still valid for a procedure at `before` (centre setting)."""
    days = CentreSettings.current().questionnaire_max_age_days
    return (
        Declaration.objects.filter(patient=patient, answered_at__gte=before - timedelta(days=days))
        .prefetch_related("medications")
        .order_by("-answered_at")
        .first()
    )


def lab_results(patient: Patient) -> list[LabResult]:
    return list(LabResult.objects.filter(patient=patient).order_by("-sampled_at")[:20])
