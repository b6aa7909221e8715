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
  pregnancy unknown, no medication, no allergy, fever/infection/skin lesion unknown (None). The
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

One pipeline for every form: a request becomes a plain row (`_REQUEST_COLUMNS`), read from the
database by the batch forms or taken from a model instance by `case_from_request`, and `_build`
turns the row and the patient's history into the Case. The batch forms read rows straight from
the driver (`fetch_rows`): Django's per-value converters and model instances cost more than the
whole triage at 100,000 requests.
One pipeline for every form: a request becomes a plain row (`_REQUEST_COLUMNS`), read from the
database by the batch forms or taken from a model instance by `case_from_request`, and `_build`
turns it, its appointments and the patient's history into the Case. Rows are read straight
from the driver (`fetch_rows`), each query filtered by ids alone (`AmongIds`), and a patient's
history is read once per batch (`_Histories`): 100,000 requests in a few seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from django.db.models import F, QuerySet
from django.utils import timezone

from geste import PARIS
from geste.clinic.models import CentreSettings
from geste.pathway.models import ProcedureRequest, indication_validated
from geste.pathway.rows import AmongIds, aware_utc, fetch_rows, json_list
from geste.patients.models import Declaration, LabResult, MedicationDeclaration
from geste.rules.case import ALLERGIES, Case, Hemostasis, Medication
from geste.rules.case import Patient as CasePatient
from geste.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentKind, AppointmentStatus

__all__ = [
    "UNSPECIFIED_DRUG",
    "RequestCase",
    "case_chunks",
    "case_from_request",
    "cases_for_request_ids",
    "cases_from_requests",
]

UNSPECIFIED_DRUG = "non précisé"
CHUNK = 2000
_ALLERGY_SET = frozenset(ALLERGIES)
_ACTIVE = frozenset(ACTIVE_STATUSES)

Row = tuple[Any, ...]
Appt = tuple[datetime, str, datetime]  # an active procedure appointment: start, status, end

# The request's fields that go into the Case unchanged (Case field names).
_CASE_FLAGS = (
    *("severe_pain", "pain_nrs", "level3_analgesics", "neutropenia", "respiratory_signs"),
    *("acute_arthritis", "crystal_arthritis", "threatening_lesion", "local_tumor_control_needed"),
    *("bedrest_decline_risk", "urgent_diagnosis_needed", "intrathecal_chemotherapy"),
    *("clinicians_confirmed", "lesion_count"),
)
# The request row; `_row_of` builds the same from a model instance.
_REQUEST_COLUMNS = (
    *("pk", "patient_id", "patient__birth_date", "patient__sex", "procedure__code", "region"),
    *("validated_at", "state", "pregnancy_checked_at", "pregnancy_checked_answer"),
    *_CASE_FLAGS,
)
_STATE = _REQUEST_COLUMNS.index("state")
_FLAGS_AT = _REQUEST_COLUMNS.index(_CASE_FLAGS[0])
_DECLARATION_COLUMNS = (
    *("id", "patient_id", "request_id", "answered_at", "pregnant", "takes_anticoagulant"),
    *("allergies", "fever", "current_infection", "skin_lesion_at_site"),
    "creatinine_clearance_ml_min",
)


def _plain(value: Any) -> Any:
    """A TextChoices member as the plain string the database gives."""
    return str(value) if isinstance(value, str) else value


def _row_of(req: ProcedureRequest) -> Row:
    patient = req.patient
    return (
        req.pk,
        req.patient_id,
        patient.birth_date,
        str(patient.sex),
        str(req.procedure.code),
        str(req.region or ""),
        req.validated_at,
        req.state,
        req.pregnancy_checked_at,
        req.pregnancy_checked_answer,
        *[_plain(getattr(req, name)) for name in _CASE_FLAGS],
    )


class _Histories:
    """Each patient's questionnaires and lab results (newest first) and the questionnaires'
    medications, read once per patient for a whole batch (a patient's requests may fall in
    several chunks). Whole histories, filtered when each case is built: a date filter in SQL
    would tempt a planner without statistics (a fresh SQLite file) into the date index, i.e.
    the whole centre's history for every chunk."""

    LIMIT = 200_000  # patients kept; beyond, start again (memory stays bounded)

    def __init__(self) -> None:
        self.decls: dict[int, list[Row]] = {}
        self.meds: dict[int, list[Row]] = {}
        self.labs: dict[int, list[Row]] = {}

    def read(self, patient_ids: Iterable[int]) -> None:
        """Three queries for the patients not read yet (none when all are known)."""
        wanted = set(patient_ids)
        if len(self.decls) + len(wanted) > self.LIMIT:
            for known in (self.decls, self.meds, self.labs):
                known.clear()
        new = [p for p in wanted if p not in self.decls]
        if not new:
            return
        decls, meds, labs = self.decls, self.meds, self.labs
        for p in new:
            decls[p] = []
            labs[p] = []
        decl_ids = []
        for d in fetch_rows(
            Declaration.objects.filter(AmongIds(F("patient_id"), new))
            .order_by("-answered_at", "-id")
            .values_list(*_DECLARATION_COLUMNS)
        ):
            decls[d[1]].append((*d[:3], aware_utc(d[3]), *d[4:]))
            decl_ids.append(d[0])
        listed = (
            fetch_rows(
                MedicationDeclaration.objects.filter(AmongIds(F("declaration_id"), decl_ids))
                .order_by("id")
                .values_list("declaration_id", "drug", "last_dose_at", "dose")
            )
            if decl_ids
            else []
        )
        for decl_id, drug, last_dose_at, dose in listed:
            meds.setdefault(decl_id, []).append((drug, aware_utc(last_dose_at), dose))
        for patient_id, sampled_at, platelets, inr, aptt in fetch_rows(
            LabResult.objects.filter(AmongIds(F("patient_id"), new))
            .order_by("-sampled_at", "-id")
            .values_list("patient_id", "sampled_at", "platelets_g_l", "inr", "aptt_ratio")
        ):
            labs[patient_id].append((aware_utc(sampled_at), platelets, inr, aptt))


def _appointments(request_ids: list[int]) -> dict[int, list[Appt]]:
    """Active procedure appointments per request, by start. The status is checked here,
    not in SQL: its index would lead a planner without statistics to every appointment."""
    appts: dict[int, list[Appt]] = defaultdict(list)
    for request_id, start, status, end in fetch_rows(
        Appointment.objects.filter(
            AmongIds(F("request_id"), request_ids), kind=AppointmentKind.PROCEDURE
        )
        .order_by("start", "id")
        .values_list("request_id", "start", "status", "end")
    ):
        if status in _ACTIVE:
            appts[request_id].append((aware_utc(start), status, aware_utc(end)))
    return appts


# ------------------------------------------------------------------------- the Case


def _schedule(appts: Sequence[Appt]) -> datetime | None:
    """Start of the active procedure appointment (appts sorted by start)."""
    for start, status, _end in appts:
        if status != AppointmentStatus.DONE:
            return start
    return appts[-1][0] if appts else None


def _pick_declaration(decls: Sequence[Row], request_id: int, cutoff: datetime) -> Row | None:
    """decls sorted newest first: the latest fresh one given for this request or for no
    request in particular; one given for another request only when there is nothing else."""
    fallback = None
    for d in decls:
        if d[3] < cutoff:  # answered_at
            break
        if d[2] == request_id or d[2] is None:
            return d
        if fallback is None:
            fallback = d
    return fallback


def _pick_lab(labs: Sequence[Row], ref: datetime) -> Row | None:
    """labs sorted newest first: the latest sampled at or before ref."""
    for lab in labs:
        if lab[0] <= ref:
            return lab
    return None


def _age(born: date, day: date) -> int:
    """Patient.age_on, from the row's birth date."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


# The Case and its Patient are filled through their slots, as `rules.case.parse_case` does
# (half the cost of the frozen dataclass constructor), then the Case's own guards run. Values
# follow these names, checked against the dataclasses at import.
_CASE_ORDER = (
    *("id", "procedure", "region", "scheduled_at", "patient", "indication_validated"),
    *("fever", "current_infection", "skin_lesion_at_site"),
    *("allergies", "medications", "hemostasis"),
    *_CASE_FLAGS,
)
_PATIENT_ORDER = ("age", "sex", "pregnant", "creatinine_clearance_ml_min")
if {f.name for f in fields(Case)} != set(_CASE_ORDER):  # pragma: no cover
    raise ImportError("pathway.adapters: _CASE_ORDER must list the fields of rules.case.Case")
if {f.name for f in fields(CasePatient)} != set(_PATIENT_ORDER):  # pragma: no cover
    raise ImportError("pathway.adapters: _PATIENT_ORDER must list rules.case.Patient's fields")
_CASE_SETTERS = tuple(Case.__dict__[name].__set__ for name in _CASE_ORDER)
_PATIENT_SETTERS = tuple(CasePatient.__dict__[name].__set__ for name in _PATIENT_ORDER)
_new = object.__new__


def _fill(cls: type, setters: tuple[Any, ...], values: tuple[Any, ...]) -> Any:
    obj: Any = _new(cls)
    for setter, value in zip(setters, values, strict=True):
        setter(obj, value)
    return obj


def _build(
    row: Row,
    *,
    appts: Sequence[Appt],
    histories: _Histories,
    at: datetime | None,
    now: datetime,
    max_age: timedelta,
) -> Case:
    pk, patient_id, born, sex, code, region, validated_at, state, checked_at, checked = row[:10]
    scheduled = _schedule(appts) or at
    ref = scheduled or now
    cutoff = ref - max_age
    decl = _pick_declaration(histories.decls[patient_id], pk, cutoff)

    pregnant: bool | None = None
    crcl: float | None = None
    allergies: tuple[str, ...] = ()
    medications: tuple[Medication, ...] = ()
    # No fresh questionnaire: unknown (None), never "no" (rules revision 2).
    fever: bool | None = None
    infection: bool | None = None
    skin: bool | None = None
    if decl is not None:
        decl_id, _, _, answered_at, pregnant, anticoagulant, listed = decl[:7]
        fever, infection, skin, crcl = decl[7:]
        seen: list[str] = []
        for a in json_list(listed) or ():
            allergy = a if a in _ALLERGY_SET else "other"
            if allergy not in seen:
                seen.append(allergy)
        allergies = tuple(seen)
        medications = tuple(
            Medication(drug[:80] or UNSPECIFIED_DRUG, last_dose_at, str(dose) if dose else None)
            for drug, last_dose_at, dose in histories.meds.get(decl_id, ())
        )
        if anticoagulant and not medications:
            medications = (Medication(UNSPECIFIED_DRUG, answered_at, None),)
    checked_at = aware_utc(checked_at)
    if checked_at is not None and checked_at >= cutoff:
        pregnant = checked

    lab = _pick_lab(histories.labs[patient_id], ref)
    # The engine's case format: ages on the centre's (default zone's) date, a day at most off.
    age = max(0, min(120, _age(born, ref.astimezone(PARIS).date())))
    values = (
        *(str(pk), code, region, scheduled),
        _fill(CasePatient, _PATIENT_SETTERS, (age, sex, pregnant, crcl)),
        indication_validated(validated_at, state),
        *(fever, infection, skin, allergies, medications),
        None if lab is None else Hemostasis(*lab),
        *row[_FLAGS_AT:],
    )
    case: Case = _fill(Case, _CASE_SETTERS, values)
    case.__post_init__()  # the Case's own guards: known procedure, region or its default
    return case


def _max_age() -> timedelta:
    return timedelta(days=CentreSettings.current().questionnaire_max_age_days)


def _load(
    rows: Sequence[Row],
    *,
    at: datetime | None,
    now: datetime,
    max_age: timedelta,
    histories: _Histories,
) -> tuple[list[Case], dict[int, list[Appt]]]:
    """At most four queries for any number of requests: their appointments, and the
    histories of the patients not read yet."""
    if not rows:
        return [], {}
    appts = _appointments([r[0] for r in rows])
    histories.read(r[1] for r in rows)
    cases = [
        _build(r, appts=appts.get(r[0], ()), histories=histories, at=at, now=now, max_age=max_age)
        for r in rows
    ]
    return cases, appts


def _rows(ids: Sequence[int]) -> list[Row]:
    """The requests' rows, in primary-key order."""
    return fetch_rows(
        ProcedureRequest.objects.filter(AmongIds(F("pk"), ids))
        .order_by("pk")
        .values_list(*_REQUEST_COLUMNS)
    )


# ------------------------------------------------------------------------- public forms


def case_from_request(request: ProcedureRequest, *, at: datetime | None = None) -> Case:
    """The rules engine's view of one request, from the live record (see module docstring)."""
    if not hasattr(request, "_state") or request.pk is None:
        raise ValueError("case_from_request needs a saved ProcedureRequest")
    now, max_age = timezone.now(), _max_age()
    cases, _ = _load([_row_of(request)], at=at, now=now, max_age=max_age, histories=_Histories())
    return cases[0]


class RequestCase(NamedTuple):
    """A request as the batch form reads it: its Case, its state, and its active procedure
    appointments (start, status, end) by start (the crisis what-if counts the hours freed)."""

    case: Case
    state: str
    appointments: Sequence[Appt]


def case_chunks(
    queryset: QuerySet[ProcedureRequest], *, at: datetime | None = None, chunk_size: int = CHUNK
) -> Iterator[list[RequestCase]]:
    """The requests of a queryset, a chunk at a time, in primary-key order: at most five
    queries per chunk whatever each patient's history, plus two (settings, ids).

    The ids come first (an index-only read), then each chunk's rows by id alone: a keyset
    page (`pk > last ... LIMIT n`) made the database join and sort every remaining row for
    each chunk when it chose the state index. A request that changes state meanwhile is
    still read, with its new state (applying a decision re-checks the state)."""
    now = timezone.now()
    max_age = _max_age()
    ids = [r[0] for r in fetch_rows(queryset.order_by("pk").values_list("pk"))]
    histories = _Histories()
    for i in range(0, len(ids), chunk_size):
        rows = _rows(ids[i : i + chunk_size])
        cases, appts = _load(rows, at=at, now=now, max_age=max_age, histories=histories)
        yield [
            RequestCase(case, row[_STATE], appts.get(row[0], ()))
            for case, row in zip(cases, rows, strict=True)
        ]


def cases_from_requests(
    queryset: QuerySet[ProcedureRequest] | Iterable[ProcedureRequest],
    *,
    at: datetime | None = None,
    chunk_size: int = CHUNK,
) -> Iterator[Case]:
    """The cases of many requests, in primary-key order for a queryset (given order for a list
    of instances, whose in-memory values are used)."""
    if isinstance(queryset, QuerySet):
        for chunk in case_chunks(queryset, at=at, chunk_size=chunk_size):
            for item in chunk:
                yield item.case
        return
    now = timezone.now()
    max_age = _max_age()
    items = [_row_of(r) for r in queryset]
    histories = _Histories()
    for i in range(0, len(items), chunk_size):
        rows = items[i : i + chunk_size]
        yield from _load(rows, at=at, now=now, max_age=max_age, histories=histories)[0]


def cases_for_request_ids(ids: Sequence[int], *, at: datetime | None = None) -> list[Case]:
    """The cases of the given requests in the order of `ids` (missing ids skipped), for pages
    that list many requests (the radiologist's day)."""
    if not ids:
        return []
    found = {r[0]: r for r in _rows(ids)}
    rows = [found[pk] for pk in ids if pk in found]
    now, max_age = timezone.now(), _max_age()
    return _load(rows, at=at, now=now, max_age=max_age, histories=_Histories())[0]
