"""Writes on patients' clinical declarations and lab results."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from geste.audit.services import log_action
from geste.patients.models import Declaration, LabResult, MedicationDeclaration, Patient


def declaration_submit(
    *,
    patient: Patient,
    actor: Any,
    answers: dict[str, Any],
    medications: list[tuple[str, datetime, str]],
    request: Any = None,
) -> Declaration:
    """A new questionnaire (never edited in place: each answer set is kept, dated)."""
    with transaction.atomic():
        decl = Declaration.objects.create(
            patient=patient,
            request=request,
            answered_at=timezone.now(),
            answered_by=actor,
            **answers,
        )
        MedicationDeclaration.objects.bulk_create(
            MedicationDeclaration(declaration=decl, drug=drug[:80], last_dose_at=at, dose=dose)
            for drug, at, dose in medications
        )
        flags = [
            k
            for k in ("fever", "current_infection", "skin_lesion_at_site", "takes_anticoagulant")
            if answers.get(k)
        ]
        log_action(
            actor=actor,
            action="declaration.submitted",
            obj=decl,
            patient=patient,
            details={"flags": flags, "by_staff": getattr(actor, "role", "") != "patient"},
        )
    return decl


def lab_result_record(*, patient: Patient, actor: Any, values: dict[str, Any]) -> LabResult:
    """A result is kept even when the same sample was already entered: the earlier entry is
    named in the audit event and `selectors.lab_duplicates` flags both on the flags panel."""
    with transaction.atomic():
        minute = values["sampled_at"].replace(second=0, microsecond=0)
        earlier = (
            LabResult.objects.filter(
                patient=patient,
                sampled_at__gte=minute,
                sampled_at__lt=minute + timedelta(minutes=1),
            )
            .values_list("pk", flat=True)
            .first()
        )
        lab = LabResult.objects.create(patient=patient, entered_by=actor, **values)
        log_action(
            actor=actor,
            action="lab_result.recorded",
            obj=lab,
            patient=patient,
            details={"duplicate_of": earlier} if earlier else None,
        )
    return lab
