"""THE one adapter from the database to the rules engine (DESIGN.md): request -> `Case`.

Every page, API and batch that asks the engine about a request goes through here, so that the
time-out screen, booking and crisis triage see the same facts.

Where the facts come from:
- patient: age on the day of the procedure (Europe/Paris), sex;
- scheduled_at: the request's active procedure appointment (booked, checked in or done; the
  earliest one not done, else the latest done), else `at`;
- questionnaire (pregnancy, creatinine clearance, allergies, fever, infection, skin lesion,
  medications): the patient's latest Declaration given for this request or for no request in
  particular (a newer answer always wins over an older one), else the latest given for
  another request of the patient,
  counting only answers given at most `CentreSettings.questionnaire_max_age_days` before the
  reference time (scheduled_at, else `at`, else now). Older answers are treated as MISSING:
  pregnancy unknown, no medication, no allergy, no fever/infection/skin-lesion flag. The
  time-out page therefore refuses to pass while the questionnaire is missing (see
  `selectors.questionnaire_status`): a missing answer must be asked, never read as "no";
- pregnancy asked again on the day by the technologist overrides the questionnaire when it is
  within the same window;
- "takes an anticoagulant: yes" with no drug named becomes a medication the engine does not
  know ("non précisé"), so that it raises a `medication_unknown` review rather than vanishing;
- hemostasis: the latest LabResult sampled at or before the reference time;
- indication_validated and every crisis flag: the request's own fields.

The Case is built directly (not through `parse_case`): the batch form must run over 100,000
requests. Values entering the database are range-checked by our forms with the contract's
bounds, and `tests/pathway/test_adapters.py` round-trips adapter output through `parse_case`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from geste.clinic.models import CentreSettings
from geste.pathway.models import ProcedureRequest, indication_validated
from geste.patients.models import Declaration, LabResult, MedicationDeclaration
from geste.rules.case import ALLERGIES, Case, Hemostasis, Medication
from geste.rules.case import Patient as CasePatient
from geste.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentKind, AppointmentStatus

__all__ = [
    "UNSPECIFIED_DRUG",
    "case_from_request",
    "cases_for_request_ids",
    "cases_from_requests",
]

PARIS = ZoneInfo("Europe/Paris")
UNSPECIFIED_DRUG = "non précisé"
CHUNK = 2000
_ALLERGY_SET = frozenset(ALLERGIES)


# Rows are read as named tuples (values_list), not model instances: the batch form runs over
# thousands of requests per page (the radiologist's day) and model instances cost 5x more.


def _schedule(appts: Sequence[Any]) -> datetime | None:
    """Start of the active procedure appointment (appts sorted by start)."""
    live = [a for a in appts if a.status != AppointmentStatus.DONE]
    if live:
        return live[0].start
    return appts[-1].start if appts else None


def _dose(value: str) -> str | None:
    return str(value) if value else None


def _pick_declaration(decls: Sequence[Any], request_id: int, cutoff: datetime) -> Any:
    """decls sorted newest first: the latest fresh one given for this request or for no
    request in particular; one given for another request only when there is nothing else."""
    fallback = None
    for d in decls:
        if d.answered_at < cutoff:
            break
        if d.request_id == request_id or d.request_id is None:
            return d
        if fallback is None:
            fallback = d
    return fallback


def _pick_lab(labs: Sequence[Any], ref: datetime) -> Any:
    """labs sorted newest first: the latest sampled at or before ref."""
    for lab in labs:
        if lab.sampled_at <= ref:
            return lab
    return None


def _build(
    req: Any,  # a ProcedureRequest, or _RequestFacts read by cases_for_request_ids
    *,
    appts: Sequence[Any],
    decls: Sequence[Any],
    meds: dict[int, list[Any]],
    labs: Sequence[Any],
    at: datetime | None,
    now: datetime,
    max_age: timedelta,
) -> Case:
    scheduled = _schedule(appts) or at
    ref = scheduled or now
    cutoff = ref - max_age
    patient = req.patient
    decl = _pick_declaration(decls, req.pk, cutoff)

    pregnant: bool | None = None
    crcl: float | None = None
    allergies: tuple[str, ...] = ()
    medications: tuple[Medication, ...] = ()
    fever = infection = skin = False
    if decl is not None:
        pregnant = decl.pregnant
        crcl = decl.creatinine_clearance_ml_min
        seen: list[str] = []
        for a in decl.allergies or ():
            code = a if a in _ALLERGY_SET else "other"
            if code not in seen:
                seen.append(code)
        allergies = tuple(seen)
        fever, infection, skin = decl.fever, decl.current_infection, decl.skin_lesion_at_site
        listed = meds.get(decl.id, [])
        medications = tuple(
            Medication(
                m.drug[:80] or UNSPECIFIED_DRUG, m.last_dose_at, str(m.dose) if m.dose else None
            )
            for m in listed
        )
        if decl.takes_anticoagulant and not medications:
            medications = (Medication(UNSPECIFIED_DRUG, decl.answered_at, None),)
    if req.pregnancy_checked_at is not None and req.pregnancy_checked_at >= cutoff:
        pregnant = req.pregnancy_checked_answer

    lab = _pick_lab(labs, ref)
    hemostasis = (
        None
        if lab is None
        else Hemostasis(lab.sampled_at, lab.platelets_g_l, lab.inr, lab.aptt_ratio)
    )
    return Case(
        id=str(req.pk),
        procedure=str(req.procedure.code),
        region=str(req.region or ""),
        scheduled_at=scheduled,
        patient=CasePatient(
            age=max(0, min(120, patient.age_on(ref.astimezone(PARIS).date()))),
            sex=str(patient.sex),
            pregnant=pregnant,
            creatinine_clearance_ml_min=crcl,
        ),
        indication_validated=req.indication_validated,
        severe_pain=req.severe_pain,
        pain_nrs=req.pain_nrs,
        level3_analgesics=str(req.level3_analgesics),
        fever=fever,
        respiratory_signs=req.respiratory_signs,
        neutropenia=req.neutropenia,
        current_infection=infection,
        skin_lesion_at_site=skin,
        acute_arthritis=req.acute_arthritis,
        crystal_arthritis=req.crystal_arthritis,
        threatening_lesion=req.threatening_lesion,
        local_tumor_control_needed=req.local_tumor_control_needed,
        bedrest_decline_risk=req.bedrest_decline_risk,
        urgent_diagnosis_needed=req.urgent_diagnosis_needed,
        intrathecal_chemotherapy=req.intrathecal_chemotherapy,
        clinicians_confirmed=req.clinicians_confirmed,
        lesion_count=req.lesion_count,
        allergies=allergies,
        medications=medications,
        hemostasis=hemostasis,
    )


def _max_age() -> timedelta:
    return timedelta(days=CentreSettings.current().questionnaire_max_age_days)


_DECLARATION_FIELDS = (
    "id",
    "patient_id",
    "request_id",
    "answered_at",
    "pregnant",
    "takes_anticoagulant",
    "allergies",
    "fever",
    "current_infection",
    "skin_lesion_at_site",
    "creatinine_clearance_ml_min",
)


def _load(
    reqs: Sequence[Any], *, at: datetime | None, now: datetime, max_age: timedelta
) -> list[Case]:
    """Four queries for any number of requests (appointments, declarations, medications, labs)."""
    if not reqs:
        return []
    req_ids = [r.pk for r in reqs]
    patient_ids = {r.patient_id for r in reqs}
    appts: dict[int, list[Any]] = defaultdict(list)
    for a in (
        Appointment.objects.filter(
            request_id__in=req_ids, kind=AppointmentKind.PROCEDURE, status__in=ACTIVE_STATUSES
        )
        .order_by("start", "id")
        .values_list("request_id", "start", "status", named=True)
    ):
        appts[a.request_id].append(a)
    refs = [_schedule(appts.get(r.pk, ())) or at or now for r in reqs]
    oldest = min(refs) - max_age
    newest = max(refs)

    decls: dict[int, list[Any]] = defaultdict(list)
    for d in (
        Declaration.objects.filter(patient_id__in=patient_ids, answered_at__gte=oldest)
        .order_by("-answered_at", "-id")
        .values_list(*_DECLARATION_FIELDS, named=True)
    ):
        decls[d.patient_id].append(d)
    all_decl_ids = [d.id for ds in decls.values() for d in ds]
    meds: dict[int, list[Any]] = defaultdict(list)
    if all_decl_ids:
        for m in (
            MedicationDeclaration.objects.filter(declaration_id__in=all_decl_ids)
            .order_by("id")
            .values_list("declaration_id", "drug", "last_dose_at", "dose", named=True)
        ):
            meds[m.declaration_id].append(m)
    labs: dict[int, list[Any]] = defaultdict(list)
    for lab in (
        LabResult.objects.filter(patient_id__in=patient_ids, sampled_at__lte=newest)
        .order_by("-sampled_at", "-id")
        .values_list("patient_id", "sampled_at", "platelets_g_l", "inr", "aptt_ratio", named=True)
    ):
        labs[lab.patient_id].append(lab)
    return [
        _build(
            r,
            appts=appts.get(r.pk, ()),
            decls=decls.get(r.patient_id, ()),
            meds=meds,
            labs=labs.get(r.patient_id, ()),
            at=at,
            now=now,
            max_age=max_age,
        )
        for r in reqs
    ]


def case_from_request(request: ProcedureRequest, *, at: datetime | None = None) -> Case:
    """The rules engine's view of one request, from the live record (see module docstring)."""
    if not hasattr(request, "_state") or request.pk is None:
        raise ValueError("case_from_request needs a saved ProcedureRequest")
    return _load([request], at=at, now=timezone.now(), max_age=_max_age())[0]


def cases_from_requests(
    queryset: QuerySet[ProcedureRequest] | Iterable[ProcedureRequest],
    *,
    at: datetime | None = None,
    chunk_size: int = CHUNK,
) -> Iterator[Case]:
    """The cases of many requests, in primary-key order for a queryset (given order for a list).

    Reads in chunks (keyset pagination on the primary key): five queries per chunk, whatever
    each patient's history, plus one for the centre settings.
    """
    now = timezone.now()
    max_age = _max_age()
    if not isinstance(queryset, QuerySet):
        items: list[Any] = list(queryset)
        for i in range(0, len(items), chunk_size):
            yield from _load(items[i : i + chunk_size], at=at, now=now, max_age=max_age)
        return
    base = queryset.select_related("patient", "procedure").order_by("pk")
    last = 0
    while True:
        chunk = list(base.filter(pk__gt=last)[:chunk_size])
        if not chunk:
            return
        yield from _load(chunk, at=at, now=now, max_age=max_age)
        last = chunk[-1].pk
        if len(chunk) < chunk_size:
            return


# ---------------------------------------------------------------- the same, from plain rows

_FLAGS = (
    "severe_pain",
    "pain_nrs",
    "level3_analgesics",
    "neutropenia",
    "respiratory_signs",
    "acute_arthritis",
    "crystal_arthritis",
    "threatening_lesion",
    "local_tumor_control_needed",
    "bedrest_decline_risk",
    "urgent_diagnosis_needed",
    "intrathecal_chemotherapy",
    "clinicians_confirmed",
    "lesion_count",
    "pregnancy_checked_at",
    "pregnancy_checked_answer",
)


class _Facts:
    """What `_build` reads of a request, its patient and its procedure, from one row."""

    __slots__ = ("__dict__",)

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def age_on(self, day: Any) -> int:
        born = self.__dict__["birth_date"]
        return int(day.year - born.year - ((day.month, day.day) < (born.month, born.day)))


def cases_for_request_ids(ids: Sequence[int], *, at: datetime | None = None) -> list[Case]:
    """`cases_from_requests` for pages that list many requests (the radiologist's day): the
    requests are read as rows, not model instances (a thousand requests in about 60 ms
    instead of 180). Same facts, same `_build`; in the order of `ids`."""
    if not ids:
        return []
    rows = {
        r[0]: r
        for r in ProcedureRequest.objects.filter(pk__in=ids).values_list(
            "pk",
            "patient_id",
            "patient__birth_date",
            "patient__sex",
            "procedure__code",
            "region",
            "validated_at",
            "state",
            *_FLAGS,
        )
    }
    facts = []
    for pk in ids:
        row = rows.get(pk)
        if row is None:
            continue
        pk, patient_id, born, sex, code, region, validated_at, state, *flags = row
        facts.append(
            _Facts(
                pk=pk,
                patient_id=patient_id,
                patient=_Facts(birth_date=born, sex=sex),
                procedure=_Facts(code=code),
                region=region,
                indication_validated=indication_validated(validated_at, state),
                **dict(zip(_FLAGS, flags, strict=True)),
            )
        )
    return _load(facts, at=at, now=timezone.now(), max_age=_max_age())
