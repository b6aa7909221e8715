"""The case: one requested procedure as the rules engine sees it.

Mirrors ``docs/contracts/case.schema.json`` (JSON Schema 2020-12) with its defaults applied.
``parse_case`` is a hand-written validator (much faster than a generic JSON Schema validator)
that refuses exactly what the schema refuses, and names the field in the error.

The value validators (and their choices where the schema leaves room) are in ``values.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from datetime import datetime
from typing import Any

from .values import (
    CaseError,
    check_keys,
    enum_message,
    enum_of,
    int_in,
    number_in,
    opt_bool,
    parse_date,
    parse_datetime,
    text_of,
)

__all__ = [
    "ALLERGIES",
    "CLINICAL_BOOLS",
    "LEVEL3_ANALGESICS",
    "PROCEDURES",
    "REGIONS",
    "SEXES",
    "Case",
    "CaseError",
    "Hemostasis",
    "Medication",
    "Patient",
    "case_to_json",
    "default_region",
    "parse_case",
    "parse_date",
    "parse_datetime",
    "text_of",
]

PROCEDURES: tuple[str, ...] = (
    "epidural_infiltration",
    "foraminal_infiltration",
    "facet_infiltration",
    "discal_infiltration",
    "intrathecal_injection",
    "bone_biopsy",
    "vertebroplasty_benign",
    "vertebroplasty_tumoral",
    "tumor_ablation",
    "peripheral_joint_infiltration",
)
REGIONS: tuple[str, ...] = ("cervical", "thoracic", "lumbar", "sacral", "peripheral")
SEXES: tuple[str, ...] = ("F", "M", "X")
LEVEL3_ANALGESICS: tuple[str, ...] = ("not_tried", "effective", "failed", "not_tolerated")
ALLERGIES: tuple[str, ...] = (
    "iodinated_contrast",
    "corticosteroid",
    "local_anaesthetic",
    "latex",
    "other",
)
DOSES: tuple[str, ...] = ("prophylactic", "therapeutic")

_PROCEDURE_SET = frozenset(PROCEDURES)
_REGION_SET = frozenset(REGIONS)


def default_region(procedure: str) -> str:
    """Schema default: peripheral for peripheral joints, lumbar for every spine procedure."""
    return "peripheral" if procedure == "peripheral_joint_infiltration" else "lumbar"


@dataclass(frozen=True, slots=True)
class Patient:
    age: int
    sex: str
    pregnant: bool | None = None
    creatinine_clearance_ml_min: float | None = None


@dataclass(frozen=True, slots=True)
class Medication:
    drug: str
    last_dose_at: datetime
    dose: str | None = None


@dataclass(frozen=True, slots=True)
class Hemostasis:
    sampled_at: datetime
    platelets_g_l: float | None = None
    inr: float | None = None
    aptt_ratio: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One requested procedure. ``region`` left empty takes the schema default."""

    id: str
    procedure: str
    patient: Patient
    region: str = ""
    scheduled_at: datetime | None = None
    indication_validated: bool = False
    # Clinical inputs: None = unknown (never read as "no" here; decisions read it as False,
    # or not_tried for level3_analgesics, and triage lists it in missing_inputs).
    severe_pain: bool | None = None
    pain_nrs: int | None = None
    level3_analgesics: str | None = None
    fever: bool | None = None
    respiratory_signs: bool | None = None
    neutropenia: bool | None = None
    current_infection: bool | None = None
    skin_lesion_at_site: bool | None = None
    acute_arthritis: bool | None = None
    crystal_arthritis: bool | None = None
    threatening_lesion: bool | None = None
    local_tumor_control_needed: bool | None = None
    bedrest_decline_risk: bool | None = None
    urgent_diagnosis_needed: bool | None = None
    intrathecal_chemotherapy: bool | None = None
    clinicians_confirmed: bool | None = None
    lesion_count: int = 1
    allergies: tuple[str, ...] = ()
    medications: tuple[Medication, ...] = ()
    hemostasis: Hemostasis | None = None

    def __post_init__(self) -> None:
        # Cheap guards for code that builds a Case directly (the database adapter): the
        # engine indexes tables by these two values.
        if self.procedure not in _PROCEDURE_SET:
            raise CaseError("procedure", enum_message(PROCEDURES, nullable=False))
        if not self.region:
            object.__setattr__(self, "region", default_region(self.procedure))
        elif self.region not in _REGION_SET:
            raise CaseError("region", enum_message(REGIONS, nullable=False))


# Clinical inputs that may be unknown (true, false or null), in the schema's order.
CLINICAL_BOOLS: tuple[str, ...] = (
    "severe_pain",
    "fever",
    "respiratory_signs",
    "neutropenia",
    "current_infection",
    "skin_lesion_at_site",
    "acute_arthritis",
    "crystal_arthritis",
    "threatening_lesion",
    "local_tumor_control_needed",
    "bedrest_decline_risk",
    "urgent_diagnosis_needed",
    "intrathecal_chemotherapy",
)
_CASE_BOOLS: tuple[str, ...] = ("indication_validated", *CLINICAL_BOOLS)
_CASE_FIELDS = frozenset(
    (
        "id",
        "procedure",
        "region",
        "scheduled_at",
        "patient",
        "pain_nrs",
        "level3_analgesics",
        "clinicians_confirmed",
        "lesion_count",
        "allergies",
        "medications",
        "hemostasis",
        *_CASE_BOOLS,
    )
)
_PATIENT_FIELDS = frozenset(("age", "sex", "pregnant", "creatinine_clearance_ml_min"))
_MEDICATION_FIELDS = frozenset(("drug", "last_dose_at", "dose"))
_HEMOSTASIS_FIELDS = frozenset(("sampled_at", "platelets_g_l", "inr", "aptt_ratio"))
_SEX_SET = frozenset(SEXES)
_L3_SET = frozenset(LEVEL3_ANALGESICS)
_ALLERGY_SET = frozenset(ALLERGIES)
_DOSE_SET = frozenset(DOSES)


# Slot descriptors of the nested records, filled directly by the parser (values validated):
# skips the frozen dataclass __setattr__ guard, several times faster.
_object_new = object.__new__
_set_age = Patient.__dict__["age"].__set__
_set_sex = Patient.__dict__["sex"].__set__
_set_pregnant = Patient.__dict__["pregnant"].__set__
_set_crcl = Patient.__dict__["creatinine_clearance_ml_min"].__set__
_set_drug = Medication.__dict__["drug"].__set__
_set_last = Medication.__dict__["last_dose_at"].__set__
_set_dose = Medication.__dict__["dose"].__set__
_set_sampled = Hemostasis.__dict__["sampled_at"].__set__
_set_plt = Hemostasis.__dict__["platelets_g_l"].__set__
_set_inr = Hemostasis.__dict__["inr"].__set__
_set_aptt = Hemostasis.__dict__["aptt_ratio"].__set__


def _parse_patient(v: object) -> Patient:
    if type(v) is not dict:
        raise CaseError("patient", "must be an object")
    check_keys(v, _PATIENT_FIELDS, "patient.")
    if "age" not in v:
        raise CaseError("patient.age", "required field missing")
    if "sex" not in v:
        raise CaseError("patient.sex", "required field missing")
    age = int_in(v["age"], "patient.age", 0, 120)
    sex = enum_of(v["sex"], "patient.sex", _SEX_SET, SEXES)
    pregnant = opt_bool(v, "pregnant", "patient.")
    crcl = v.get("creatinine_clearance_ml_min")
    if crcl is not None:
        crcl = number_in(crcl, "patient.creatinine_clearance_ml_min", 0, 300)
    p: Patient = _object_new(Patient)
    _set_age(p, age)
    _set_sex(p, sex)
    _set_pregnant(p, pregnant)
    _set_crcl(p, crcl)
    return p


def _parse_medication(m: object, i: int) -> Medication:
    if type(m) is not dict:
        raise CaseError(f"medications[{i}]", "must be an object")
    check_keys(m, _MEDICATION_FIELDS, f"medications[{i}].")
    if "drug" not in m:
        raise CaseError(f"medications[{i}].drug", "required field missing")
    if "last_dose_at" not in m:
        raise CaseError(f"medications[{i}].last_dose_at", "required field missing")
    drug = text_of(m["drug"], f"medications[{i}].drug", 80)
    last = parse_datetime(m["last_dose_at"], f"medications[{i}].last_dose_at")
    dose = m.get("dose")
    if dose is not None and (type(dose) is not str or dose not in _DOSE_SET):
        raise CaseError(f"medications[{i}].dose", enum_message(DOSES, nullable=True))
    med: Medication = _object_new(Medication)
    _set_drug(med, drug)
    _set_last(med, last)
    _set_dose(med, dose)
    return med


def _parse_medications(v: object) -> tuple[Medication, ...]:
    if type(v) is not list:
        raise CaseError("medications", "must be an array")
    return tuple([_parse_medication(m, i) for i, m in enumerate(v)])


def _parse_hemostasis(v: object) -> Hemostasis | None:
    if v is None:
        return None
    if type(v) is not dict:
        raise CaseError("hemostasis", "must be an object or null")
    check_keys(v, _HEMOSTASIS_FIELDS, "hemostasis.")
    if "sampled_at" not in v:
        raise CaseError("hemostasis.sampled_at", "required field missing")
    h: Hemostasis = _object_new(Hemostasis)
    _set_sampled(h, parse_datetime(v["sampled_at"], "hemostasis.sampled_at"))
    _set_plt(h, number_in(v.get("platelets_g_l"), "hemostasis.platelets_g_l", 0, 2000))
    _set_inr(h, number_in(v.get("inr"), "hemostasis.inr", 0.5, 15))
    _set_aptt(h, number_in(v.get("aptt_ratio"), "hemostasis.aptt_ratio", 0.3, 10))
    return h


def _parse_allergies(v: object) -> tuple[str, ...]:
    if type(v) is not list:
        raise CaseError("allergies", "must be an array")
    for i, a in enumerate(v):
        if type(a) is not str or a not in _ALLERGY_SET:
            raise CaseError(f"allergies[{i}]", enum_message(ALLERGIES, nullable=False))
        if a in v[:i]:
            raise CaseError(f"allergies[{i}]", "duplicate item (items must be unique)")
    return tuple(v)


def _id(v: object) -> str:
    return text_of(v, "id", 64)


def _nullable_bool(field: str) -> Callable[[object], bool | None]:
    def check(v: object) -> bool | None:
        if v is None or v is True or v is False:
            return v
        raise CaseError(field, "must be true, false or null")

    return check


def _pain(v: object) -> int | None:
    return None if v is None else int_in(v, "pain_nrs", 0, 10, nullable=True)


def _level3(v: object) -> str | None:
    if v is None or (type(v) is str and v in _L3_SET):
        return v
    raise CaseError("level3_analgesics", enum_message(LEVEL3_ANALGESICS, nullable=True))


def _bool_marker(v: object) -> bool:  # pragma: no cover - handled inline in parse_case
    raise NotImplementedError


def _nullable_bool_marker(v: object) -> bool:  # pragma: no cover - handled inline
    raise NotImplementedError


# Field name -> validator of its JSON value (booleans are handled inline, for speed).
_HANDLERS: dict[str, Callable[[Any], Any]] = {
    "id": _id,
    "procedure": lambda v: enum_of(v, "procedure", _PROCEDURE_SET, PROCEDURES),
    "region": lambda v: enum_of(v, "region", _REGION_SET, REGIONS),
    "scheduled_at": lambda v: parse_datetime(v, "scheduled_at"),
    "patient": _parse_patient,
    "pain_nrs": _pain,
    "level3_analgesics": _level3,
    "clinicians_confirmed": _nullable_bool("clinicians_confirmed"),
    "lesion_count": lambda v: int_in(v, "lesion_count", 1, 50),
    "allergies": _parse_allergies,
    "medications": _parse_medications,
    "hemostasis": _parse_hemostasis,
    "indication_validated": _bool_marker,
    **dict.fromkeys(CLINICAL_BOOLS, _nullable_bool_marker),
}
_CASE_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in fields(Case) if f.default is not MISSING
}
_CASE_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Case))
# Slot descriptors: filling them directly skips the frozen dataclass __setattr__ guard,
# about three times faster than Case(**values) for these 26 fields (values are validated).
_CASE_SETTERS = tuple((name, Case.__dict__[name].__set__) for name in _CASE_FIELD_NAMES)


def parse_case(obj: object) -> Case:
    """Validate one decoded JSON value against the case schema and build a ``Case``.

    Raises ``CaseError(field, message)`` on the first problem, fields taken in the order of
    the object's keys, then the required fields.
    """
    if type(obj) is not dict:
        raise CaseError("case", "must be a JSON object")
    values = _CASE_DEFAULTS.copy()
    handlers = _HANDLERS
    for key, v in obj.items():
        handler = handlers.get(key)
        if handler is None:
            raise CaseError(str(key), "unknown field")
        if handler is _nullable_bool_marker:
            if v is not True and v is not False and v is not None:
                raise CaseError(key, "must be true, false or null")
            values[key] = v
        elif handler is _bool_marker:
            if v is not True and v is not False:
                raise CaseError(key, "must be true or false")
            values[key] = v
        else:
            values[key] = handler(v)
    if "patient" not in obj or "procedure" not in obj or "id" not in obj:
        missing = next(k for k in ("id", "procedure", "patient") if k not in obj)
        raise CaseError(missing, "required field missing")
    if "region" not in obj:
        values["region"] = default_region(values["procedure"])
    case: Case = _object_new(Case)
    for name, setter in _CASE_SETTERS:
        setter(case, values[name])
    return case


def _iso(dt: datetime) -> str:
    return dt.isoformat()


def case_to_json(case: Case) -> dict[str, object]:
    """The case as a JSON-able dict (every field, defaults included) that ``parse_case``
    accepts back unchanged."""
    p = case.patient
    out: dict[str, object] = {
        "id": case.id,
        "procedure": case.procedure,
        "region": case.region,
    }
    if case.scheduled_at is not None:
        out["scheduled_at"] = _iso(case.scheduled_at)
    out["patient"] = {
        "age": p.age,
        "sex": p.sex,
        "pregnant": p.pregnant,
        "creatinine_clearance_ml_min": p.creatinine_clearance_ml_min,
    }
    for key in _CASE_BOOLS:
        out[key] = getattr(case, key)
    out["pain_nrs"] = case.pain_nrs
    out["level3_analgesics"] = case.level3_analgesics
    out["clinicians_confirmed"] = case.clinicians_confirmed
    out["lesion_count"] = case.lesion_count
    out["allergies"] = list(case.allergies)
    out["medications"] = [
        {"drug": m.drug, "last_dose_at": _iso(m.last_dose_at), "dose": m.dose}
        for m in case.medications
    ]
    h = case.hemostasis
    out["hemostasis"] = (
        None
        if h is None
        else {
            "sampled_at": _iso(h.sampled_at),
            "platelets_g_l": h.platelets_g_l,
            "inr": h.inr,
            "aptt_ratio": h.aptt_ratio,
        }
    )
    return out
