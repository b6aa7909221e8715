"""parse_case: the schema's defaults, and every kind of bad input names its field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from geste.rules.case import (
    CLINICAL_BOOLS,
    PROCEDURES,
    Case,
    CaseError,
    Patient,
    case_to_json,
    parse_case,
    parse_date,
    parse_datetime,
)

from .factory import HEMO_OK, case_json


def test_ten_procedures() -> None:
    assert len(PROCEDURES) == 10 == len(set(PROCEDURES))


def test_minimal_case_gets_the_schema_defaults() -> None:
    case = parse_case({"id": "a", "procedure": "bone_biopsy", "patient": {"age": 70, "sex": "F"}})
    assert case.region == "lumbar"
    assert case.scheduled_at is None
    assert case.patient == Patient(70, "F", None, None)
    assert case.indication_validated is False
    # revision 2: an absent clinical input is unknown (None), never False
    assert case.level3_analgesics is None
    assert case.clinicians_confirmed is None
    assert case.lesion_count == 1
    assert case.pain_nrs is None
    assert (case.allergies, case.medications, case.hemostasis) == ((), (), None)
    assert all(getattr(case, f) is None for f in CLINICAL_BOOLS)
    assert len(CLINICAL_BOOLS) == 13
    peripheral = {"id": "b", "procedure": "peripheral_joint_infiltration"}
    assert parse_case({**peripheral, "patient": {"age": 7, "sex": "M"}}).region == "peripheral"


def test_full_case_round_trips() -> None:
    obj = case_json(
        procedure="vertebroplasty_tumoral",
        region="thoracic",
        patient={"age": 66, "sex": "F", "pregnant": False, "creatinine_clearance_ml_min": 45},
        severe_pain=True,
        pain_nrs=8,
        level3_analgesics="failed",
        clinicians_confirmed=True,
        lesion_count=3,
        allergies=["latex", "other"],
        medications=[{"drug": "Eliquis", "last_dose_at": "2026-03-08T08:00:00Z", "dose": None}],
        hemostasis=HEMO_OK,
    )
    case = parse_case(obj)
    assert case.patient.creatinine_clearance_ml_min == 45.0
    assert case.allergies == ("latex", "other")
    assert case.medications[0].last_dose_at == datetime(2026, 3, 8, 8, tzinfo=UTC)
    assert case.hemostasis is not None and case.hemostasis.platelets_g_l == 230
    again = parse_case(case_to_json(case))
    assert again == case


def test_case_is_frozen() -> None:
    case = parse_case(case_json())
    with pytest.raises(AttributeError):
        case.fever = True  # type: ignore[misc]


def test_direct_construction_applies_region_default_and_guards() -> None:
    patient = Patient(50, "M")
    assert Case(id="x", procedure="bone_biopsy", patient=patient).region == "lumbar"
    with pytest.raises(CaseError) as err:
        Case(id="x", procedure="nope", patient=patient)
    assert err.value.field == "procedure"
    with pytest.raises(CaseError):
        Case(id="x", procedure="bone_biopsy", patient=patient, region="knee")


def test_integer_fields_accept_integral_floats_like_json_schema() -> None:
    case = parse_case(case_json(patient={"age": 58.0}, lesion_count=2.0))
    assert case.patient.age == 58 and type(case.patient.age) is int
    assert case.lesion_count == 2


def test_datetimes() -> None:
    paris = timezone(timedelta(hours=1))
    assert parse_datetime("2026-03-10T09:00:00+01:00", "f") == datetime(
        2026, 3, 10, 9, tzinfo=paris
    )
    assert parse_datetime("2026-03-10T08:00:00Z", "f") == datetime(2026, 3, 10, 8, tzinfo=UTC)
    assert parse_datetime("2026-03-10t08:00:00z", "f") == datetime(2026, 3, 10, 8, tzinfo=UTC)
    assert parse_datetime("2026-03-10 09:00+01:00", "f") == datetime(2026, 3, 10, 9, tzinfo=paris)
    assert parse_datetime("2026-03-10T09:00:00.123456789+01:00", "f").microsecond == 123456
    assert parse_date("2026-03-10", "f").isoformat() == "2026-03-10"


# (name, JSON object, field named, words in the message)
BAD: list[tuple[str, Any, str, str]] = [
    ("not an object", ["a"], "case", "object"),
    ("unknown field", case_json(colour="red"), "colour", "unknown field"),
    ("unknown patient field", case_json(patient={"weight": 80}), "patient.weight", "unknown field"),
    ("missing id", {k: v for k, v in case_json().items() if k != "id"}, "id", "required"),
    (
        "missing procedure",
        {k: v for k, v in case_json().items() if k != "procedure"},
        "procedure",
        "required",
    ),
    (
        "missing patient",
        {k: v for k, v in case_json().items() if k != "patient"},
        "patient",
        "required",
    ),
    ("missing age", {**case_json(), "patient": {"sex": "F"}}, "patient.age", "required"),
    ("missing sex", {**case_json(), "patient": {"age": 3}}, "patient.sex", "required"),
    ("empty id", case_json(id=""), "id", "1 to 64"),
    ("long id", case_json(id="x" * 65), "id", "1 to 64"),
    ("numeric id", case_json(id=7), "id", "string"),
    ("unknown procedure", case_json(procedure="knee_surgery"), "procedure", "one of"),
    ("unknown region", case_json(region="knee"), "region", "one of"),
    ("null region", case_json(region=None), "region", "one of"),
    ("age as a string", case_json(patient={"age": "58"}), "patient.age", "integer between 0"),
    ("age as a bool", case_json(patient={"age": True}), "patient.age", "integer"),
    ("age 121", case_json(patient={"age": 121}), "patient.age", "between 0 and 120"),
    ("age -1", case_json(patient={"age": -1}), "patient.age", "between 0 and 120"),
    ("age 58.5", case_json(patient={"age": 58.5}), "patient.age", "integer"),
    ("sex", case_json(patient={"sex": "f"}), "patient.sex", "one of"),
    (
        "pregnant as 0",
        case_json(patient={"pregnant": 0}),
        "patient.pregnant",
        "true, false or null",
    ),
    (
        "crcl as a bool",
        case_json(patient={"creatinine_clearance_ml_min": True}),
        "patient.creatinine_clearance_ml_min",
        "number",
    ),
    (
        "crcl 301",
        case_json(patient={"creatinine_clearance_ml_min": 301}),
        "patient.creatinine_clearance_ml_min",
        "between 0 and 300",
    ),
    (
        "crcl NaN",
        case_json(patient={"creatinine_clearance_ml_min": float("nan")}),
        "patient.creatinine_clearance_ml_min",
        "number",
    ),
    ("fever as a string", case_json(fever="yes"), "fever", "true, false or null"),
    ("fever as 1", case_json(fever=1), "fever", "true, false or null"),
    ("fever as 0", case_json(fever=0), "fever", "true, false or null"),
    ("validated null", case_json(indication_validated=None), "indication_validated", "true or"),
    ("level3 as a bool", case_json(level3_analgesics=False), "level3_analgesics", "or null"),
    ("id lone surrogate", case_json(id="a\ud800"), "id", "Unicode"),
    (
        "drug lone surrogate",
        case_json(medications=[{"drug": "\udcff", "last_dose_at": "2026-03-01T08:00:00Z"}]),
        "medications[0].drug",
        "Unicode",
    ),
    ("year 1899", case_json(scheduled_at="1899-12-31T23:59:59+00:00"), "scheduled_at", "1900"),
    ("year 2101", case_json(scheduled_at="2101-01-01T00:00:00+01:00"), "scheduled_at", "2100"),
    ("year 1", case_json(scheduled_at="0001-01-01T00:00:00+01:00"), "scheduled_at", "1900"),
    (
        "year 9999 last dose",
        case_json(medications=[{"drug": "a", "last_dose_at": "9999-12-31T23:00:00-12:00"}]),
        "medications[0].last_dose_at",
        "2100",
    ),
    (
        "year 1800 sample, slow path",
        case_json(hemostasis={**HEMO_OK, "sampled_at": "1800-03-09 08:00Z"}),
        "hemostasis.sampled_at",
        "1900",
    ),
    ("pain 11", case_json(pain_nrs=11), "pain_nrs", "between 0 and 10"),
    ("level3", case_json(level3_analgesics="none"), "level3_analgesics", "one of"),
    ("confirmed", case_json(clinicians_confirmed="no"), "clinicians_confirmed", "null"),
    ("lesions 0", case_json(lesion_count=0), "lesion_count", "between 1 and 50"),
    ("lesions 51", case_json(lesion_count=51), "lesion_count", "between 1 and 50"),
    ("lesions null", case_json(lesion_count=None), "lesion_count", "integer"),
    ("allergies not a list", case_json(allergies="latex"), "allergies", "array"),
    ("unknown allergy", case_json(allergies=["latex", "pollen"]), "allergies[1]", "one of"),
    ("duplicate allergy", case_json(allergies=["latex", "latex"]), "allergies[1]", "unique"),
    ("medications not a list", case_json(medications={}), "medications", "array"),
    ("medication not an object", case_json(medications=["x"]), "medications[0]", "object"),
    (
        "medication unknown field",
        case_json(medications=[{"drug": "a", "last_dose_at": "2026-03-01T08:00:00Z", "mg": 5}]),
        "medications[0].mg",
        "unknown field",
    ),
    (
        "medication without drug",
        case_json(medications=[{"last_dose_at": "2026-03-01T08:00:00Z"}]),
        "medications[0].drug",
        "required",
    ),
    (
        "medication without last dose",
        case_json(medications=[{"drug": "apixaban"}]),
        "medications[0].last_dose_at",
        "required",
    ),
    (
        "empty drug",
        case_json(medications=[{"drug": "", "last_dose_at": "2026-03-01T08:00:00Z"}]),
        "medications[0].drug",
        "1 to 80",
    ),
    (
        "drug too long",
        case_json(medications=[{"drug": "x" * 81, "last_dose_at": "2026-03-01T08:00:00Z"}]),
        "medications[0].drug",
        "1 to 80",
    ),
    (
        "naive last dose",
        case_json(
            medications=[
                {"drug": "a", "last_dose_at": "2026-03-01T08:00:00Z"},
                {"drug": "b", "last_dose_at": "2026-03-01T08:00:00"},
            ]
        ),
        "medications[1].last_dose_at",
        "offset",
    ),
    (
        "bad dose",
        case_json(medications=[{"drug": "a", "last_dose_at": "2026-03-01T08:00:00Z", "dose": "x"}]),
        "medications[0].dose",
        "prophylactic",
    ),
    ("naive scheduled_at", case_json(scheduled_at="2026-03-10T09:00:00"), "scheduled_at", "offset"),
    ("date only", case_json(scheduled_at="2026-03-10"), "scheduled_at", "ISO 8601"),
    ("null scheduled_at", case_json(scheduled_at=None), "scheduled_at", "ISO 8601"),
    ("bad month", case_json(scheduled_at="2026-13-10T09:00:00Z"), "scheduled_at", "invalid"),
    ("garbage date", case_json(scheduled_at="next tuesday"), "scheduled_at", "ISO 8601"),
    ("hemostasis list", case_json(hemostasis=[]), "hemostasis", "object"),
    ("hemostasis no date", case_json(hemostasis={"inr": 1.0}), "hemostasis.sampled_at", "required"),
    (
        "hemostasis unknown field",
        case_json(hemostasis={**HEMO_OK, "fibrinogen": 3}),
        "hemostasis.fibrinogen",
        "unknown field",
    ),
    (
        "platelets negative",
        case_json(hemostasis={**HEMO_OK, "platelets_g_l": -1}),
        "hemostasis.platelets_g_l",
        "between 0 and 2000",
    ),
    (
        "INR 0.4",
        case_json(hemostasis={**HEMO_OK, "inr": 0.4}),
        "hemostasis.inr",
        "between 0.5 and 15",
    ),
    (
        "aPTT string",
        case_json(hemostasis={**HEMO_OK, "aptt_ratio": "1.1"}),
        "hemostasis.aptt_ratio",
        "number",
    ),
    (
        "naive sample",
        case_json(hemostasis={**HEMO_OK, "sampled_at": "2026-03-09T08:00:00"}),
        "hemostasis.sampled_at",
        "offset",
    ),
]


@pytest.mark.parametrize(("obj", "field", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_names_the_field(obj: Any, field: str, words: str) -> None:
    with pytest.raises(CaseError) as err:
        parse_case(obj)
    assert err.value.field == field
    assert words in err.value.message
    assert str(err.value) == f"{field}: {err.value.message}"
    assert isinstance(err.value, ValueError)


def test_nullable_fields_accept_null() -> None:
    case = parse_case(
        case_json(
            patient={"pregnant": None, "creatinine_clearance_ml_min": None},
            pain_nrs=None,
            clinicians_confirmed=None,
            hemostasis=None,
            medications=[{"drug": "a", "last_dose_at": "2026-03-01T08:00:00Z", "dose": None}],
        )
    )
    assert case.hemostasis is None and case.pain_nrs is None


@pytest.mark.parametrize("field", CLINICAL_BOOLS)
def test_clinical_inputs_keep_unknown_apart_from_false(field: str) -> None:
    """Revision 2: null (or absent) is unknown, kept as None, never turned into False."""
    assert getattr(parse_case(case_json(**{field: None})), field) is None
    assert getattr(parse_case(case_json()), field) is None
    assert getattr(parse_case(case_json(**{field: False})), field) is False
    assert getattr(parse_case(case_json(**{field: True})), field) is True
    back = case_to_json(parse_case(case_json(**{field: None})))
    assert back[field] is None
    assert parse_case(back) == parse_case(case_json(**{field: None}))


def test_level3_unknown_is_none() -> None:
    assert parse_case(case_json(level3_analgesics=None)).level3_analgesics is None
    assert parse_case(case_json(level3_analgesics="not_tried")).level3_analgesics == "not_tried"


def test_year_bounds_are_inclusive() -> None:
    low = parse_case(case_json(scheduled_at="1900-01-01T00:00:00+00:00")).scheduled_at
    high = parse_case(case_json(scheduled_at="2100-12-31T23:59:59-12:00")).scheduled_at
    assert low is not None and low.year == 1900
    assert high is not None and high.year == 2100
    assert parse_date("2100-12-31", "d").year == 2100
    with pytest.raises(CaseError, match="2100"):
        parse_date("2101-01-01", "--today")


def test_numbers_accept_ints_and_floats() -> None:
    hemo = {
        "sampled_at": "2026-03-09T08:00:00Z",
        "platelets_g_l": 150,
        "inr": 1,
        "aptt_ratio": 1.05,
    }
    case = parse_case(case_json(hemostasis=hemo))
    assert case.hemostasis is not None
    assert (case.hemostasis.platelets_g_l, case.hemostasis.inr) == (150.0, 1.0)
