"""Prerequisites of a booking: what moves the earliest acceptable start (issue 4, point 2).

- a procedure only after a validated consultation (the request's indication is validated);
- a procedure that needs a hemostasis result (high bleeding risk, or a vitamin K antagonist)
  leaves `CentreSettings.blood_test_lead_days` days for the blood test;
- a declared anticoagulant or antiplatelet: nothing before the rules engine's
  `earliest_safe_at` (last dose + hold interval, SIR 2019).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from geste import PARIS
from geste.clinic.models import CentreSettings, Procedure, Site
from geste.clinic.selectors import safety_settings, site_zone
from geste.pathway.adapters import case_from_request
from geste.pathway.models import ProcedureRequest, RequestState
from geste.patients.models import Declaration, Patient
from geste.rules import case as rcase
from geste.rules.drugs import drug_class
from geste.rules.safety import bleeding_risk, check
from geste.scheduling.capacity import local_at
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
    # What sets not_before, for the message that names it: the end of a drug's hold
    # (earliest_safe_at of the engine) and the first day the blood test can be ready.
    hold_until: datetime | None = None
    blood_test_from: datetime | None = None
    # For a search over rooms (no room given): the earliest start in each sites' zone, by
    # the zone's key (a slot of a room in zone z may start at blood_test_by_zone[z.key]).
    blood_test_by_zone: dict[str, datetime] | None = None


def blood_test_from(now: datetime, zone: tzinfo, lead: int) -> datetime:
    """The first start a procedure needing a blood test may have at a site of `zone`: its
    local midnight `lead` local days after today there (Cayenne's today ends three hours
    after Paris's, Réunion's three hours before)."""
    return local_at(now.astimezone(zone).date() + timedelta(days=lead), time.min, zone)


def site_zones() -> list[str]:
    """The zone names of every site (one read)."""
    return sorted(set(Site.objects.values_list("time_zone", flat=True)))


def validated_request(patient: Any, procedure: Procedure) -> Any:
    """The patient's request for this procedure whose indication is validated, if any."""
    found = (
        ProcedureRequest.objects.filter(
            patient=patient,
            procedure=procedure,
            validated_at__isnull=False,
            state=RequestState.VALIDATED,
        )
        .order_by("-validated_at")
        .first()
    )
    if found is not None and isinstance(patient, Patient):
        # The caller's rows: the case is built from them without reading them again.
        found.patient, found.procedure = patient, procedure
    return found


def _latest_declaration(patient: Any) -> Any:
    return (
        Declaration.objects.filter(patient=patient)
        .prefetch_related("medications")
        .order_by("-answered_at")
        .first()
    )


def _case(patient: Any, procedure: Procedure, request: Any, declaration: Any) -> rcase.Case:
    if request is not None:
        # The time being judged is the NEW one (a move, an offer): the request's current
        # appointment must not stand in for it, so the case carries no scheduled_at and the
        # engine's earliest_safe_at answers for any start (issue 10: a move inside the hold
        # was accepted because the old date was checked).
        return replace(case_from_request(request, at=timezone.now()), scheduled_at=None)
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


def prerequisites(
    *,
    patient: Any,
    procedure: Procedure,
    kind: str,
    request: Any = None,
    not_before: datetime | None = None,
    now: datetime | None = None,
    room: Any = None,
    zones: Callable[[], Iterable[str]] | None = None,
) -> Prerequisites:
    """What moves the earliest start. The blood test's lead counts local days of the site of
    `room` (read only when a blood test is needed); for a search over rooms, of each zone
    `zones` gives (called only then): `not_before` is the earliest of them and
    `blood_test_by_zone` each zone's, for the caller to hold each room's slots to its own;
    with neither, of the centre's default zone."""
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
    # With a request the case reads the patient's declarations itself (case_from_request).
    declaration = None if request is not None else _latest_declaration(patient)
    case = _case(patient, procedure, request, declaration)
    high = bleeding_risk(case) == "high"
    vka = any(drug_class(m.drug) == "vka" for m in case.medications)
    needs_blood = high or vka
    blood_from = hold_until = by_zone = None
    if needs_blood:
        lead = CentreSettings.current().blood_test_lead_days
        if room is not None:
            blood_from = blood_test_from(now, site_zone(room.site.time_zone), lead)
        else:
            in_zones = {site_zone(z) for z in zones()} if zones is not None else set()
            in_zones = in_zones or {PARIS}
            by_zone = {z.key: blood_test_from(now, z, lead) for z in in_zones}
            blood_from = min(by_zone.values())
        start = max(start, blood_from)
    if any(drug_class(m.drug) in _HOLD_CLASSES for m in case.medications):
        result = check(case, safety_settings(), at=start)
        if result.earliest_safe_at is not None:
            # An instant (compared as such); shown in the centre's default zone.
            hold_until = result.earliest_safe_at.astimezone(PARIS)
            start = max(start, hold_until)
    return Prerequisites(
        not_before=start,
        needs_blood_test=needs_blood,
        request=request,
        hold_until=hold_until,
        blood_test_from=blood_from,
        blood_test_by_zone=by_zone,
    )
