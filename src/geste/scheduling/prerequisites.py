"""Prerequisites of a booking: what moves the earliest acceptable start (issue 4, point 2).

- a procedure only after a validated consultation (the request's indication is validated);
- a procedure that needs a hemostasis result (high bleeding risk, or a vitamin K antagonist)
  leaves `CentreSettings.blood_test_lead_days` days for the blood test;
- a declared anticoagulant or antiplatelet: nothing before the rules engine's
  `earliest_safe_at` (last dose + hold interval, SIR 2019).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from geste.clinic.models import CentreSettings, Procedure
from geste.rules import case as rcase
from geste.rules.drugs import drug_class
from geste.rules.safety import bleeding_risk, check
from geste.scheduling.capacity import PARIS, local_at
from geste.scheduling.models import AppointmentKind

# Drug classes that stop or shift a procedure date (NSAIDs do not).
_HOLD_CLASSES = frozenset(
    {"vka", "heparin", "lmwh", "fondaparinux", "doac", "antiplatelet", "aspirin"}
)


@dataclass(frozen=True)
class Prerequisites:
    not_before: datetime
    blocked: str = ""  # a French sentence when no slot can be offered at all
    needs_blood_test: bool = False
    request: Any = None


def validated_request(patient: Any, procedure: Procedure) -> Any:
    """The patient's request for this procedure whose indication is validated, if any."""
    from geste.pathway.models import ProcedureRequest, RequestState

    return (
        ProcedureRequest.objects.filter(
            patient=patient,
            procedure=procedure,
            validated_at__isnull=False,
            state=RequestState.VALIDATED,
        )
        .order_by("-validated_at")
        .first()
    )


def _latest_declaration(patient: Any) -> Any:
    from geste.patients.models import Declaration

    return (
        Declaration.objects.filter(patient=patient)
        .prefetch_related("medications")
        .order_by("-answered_at")
        .first()
    )


def _case(patient: Any, procedure: Procedure, request: Any, declaration: Any) -> rcase.Case:
    adapter = _adapter()
    if adapter is not None and request is not None:
        return adapter(request, at=timezone.now())  # type: ignore[no-any-return]
    meds = tuple(
        rcase.Medication(drug=m.drug, last_dose_at=m.last_dose_at, dose=m.dose or None)
        for m in (declaration.medications.all() if declaration is not None else ())
    )
    return rcase.Case(
        id=str(getattr(request, "pk", "") or "slot-search"),
        procedure=procedure.code,
        region=getattr(request, "region", "") or "",
        patient=rcase.Patient(
            age=patient.age_on(timezone.localdate()),
            sex=patient.sex if patient.sex in ("F", "M") else "X",
            creatinine_clearance_ml_min=getattr(declaration, "creatinine_clearance_ml_min", None),
        ),
        indication_validated=True,
        medications=meds,
    )


def _adapter() -> Any:
    """The pathway's DB-to-rules adapter, once it exists (it is THE adapter)."""
    try:
        from geste.pathway.adapters import case_from_request  # type: ignore[import-not-found]
    except ImportError:
        return None
    return case_from_request


def prerequisites(
    *,
    patient: Any,
    procedure: Procedure,
    kind: str,
    request: Any = None,
    not_before: datetime | None = None,
    now: datetime | None = None,
) -> Prerequisites:
    now = now or timezone.now()
    start = max(not_before or now, now)
    if kind == AppointmentKind.CONSULTATION or patient is None:
        return Prerequisites(not_before=start, request=request)
    if request is None:
        request = validated_request(patient, procedure)
    if request is None or not request.indication_validated:
        return Prerequisites(
            not_before=start,
            blocked=_("Le geste se programme après la consultation qui valide l'indication."),
        )
    declaration = _latest_declaration(patient)
    case = _case(patient, procedure, request, declaration)
    from geste.clinic.selectors import safety_settings

    high = bleeding_risk(case) == "high"
    vka = any(drug_class(m.drug) == "vka" for m in case.medications)
    needs_blood = high or vka
    if needs_blood:
        lead = CentreSettings.current().blood_test_lead_days
        first_day = now.astimezone(PARIS).date() + timedelta(days=lead)
        start = max(start, local_at(first_day, time.min))
    if any(drug_class(m.drug) in _HOLD_CLASSES for m in case.medications):
        result = check(case, safety_settings(), at=start)
        if result.earliest_safe_at is not None:
            start = max(start, result.earliest_safe_at.astimezone(PARIS))
    return Prerequisites(not_before=start, needs_blood_test=needs_blood, request=request)
