"""Every finding code of docs/domain/safety-check.md, with its boundaries."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from geste import PARIS
from geste.rules.case import Case, Hemostasis, Medication, Patient
from geste.rules.explain import FINDING_SPECS, finding_text
from geste.rules.safety import bleeding_risk, check
from geste.rules.settings import DEFAULT, HoldRule, SafetySettings

from .factory import HEMO_OK, HIGH, LOW, SCHED, all_codes, codes, make, med, run

T0 = datetime.fromisoformat(SCHED)
CEMENT = ("vertebroplasty_benign", "vertebroplasty_tumoral", "tumor_ablation")


def iso(dt: datetime) -> str:
    return dt.isoformat()


def before(**delta: float) -> str:
    """SCHED minus a duration, as an ISO string."""
    return iso(T0 - timedelta(**delta))


# ------------------------------------------------------------------------ bleeding risk


@pytest.mark.parametrize(
    ("procedure", "region", "risk"),
    [
        ("epidural_infiltration", None, "high"),
        ("foraminal_infiltration", None, "high"),
        ("discal_infiltration", None, "high"),
        ("facet_infiltration", None, "low"),
        ("facet_infiltration", "lumbar", "low"),
        ("facet_infiltration", "thoracic", "low"),
        ("facet_infiltration", "cervical", "high"),
        ("intrathecal_injection", None, "low"),
        ("bone_biopsy", None, "high"),
        ("bone_biopsy", "sacral", "high"),
        ("bone_biopsy", "peripheral", "low"),
        ("vertebroplasty_benign", None, "high"),
        ("vertebroplasty_tumoral", None, "high"),
        ("tumor_ablation", None, "high"),
        ("peripheral_joint_infiltration", None, "low"),
    ],
)
def test_bleeding_risk(procedure: str, region: str | None, risk: str) -> None:
    extra = {} if region is None else {"region": region}
    case = make(procedure=procedure, **extra)
    assert bleeding_risk(case) == risk
    assert check(case).bleeding_risk == risk


def test_region_defaults() -> None:
    assert make(procedure="peripheral_joint_infiltration").region == "peripheral"
    assert make(procedure="bone_biopsy").region == "lumbar"


def test_cervical_facet_needs_hemostasis_peripheral_biopsy_does_not() -> None:
    assert codes(run(procedure=LOW, region="cervical")) == {"hemostasis_missing"}
    assert codes(run(procedure="bone_biopsy", region="peripheral")) == set()
    assert codes(run(procedure="bone_biopsy", region="thoracic")) == {"hemostasis_missing"}


# ---------------------------------------------------------------- table of findings

# (name, case fields, expected non-info codes)
TABLE: list[tuple[str, dict[str, Any], set[str]]] = [
    ("nothing", {}, set()),
    ("high risk with a good test", {"procedure": HIGH, "hemostasis": HEMO_OK}, set()),
    # procedure_not_performed
    (
        "foraminal disabled by default",
        {"procedure": "foraminal_infiltration", "hemostasis": HEMO_OK},
        {"procedure_not_performed"},
    ),
    # indication_not_validated
    ("indication false", {"indication_validated": False}, {"indication_not_validated"}),
    # hemostasis_missing
    ("high risk, no test", {"procedure": HIGH}, {"hemostasis_missing"}),
    ("low risk, no test", {"procedure": "intrathecal_injection"}, set()),
    (
        "warfarin before a low-risk procedure needs a test",
        {"medications": [med("warfarine", before(days=1))]},
        {"hemostasis_missing"},
    ),
    (
        "fluindione (Préviscan) before a low-risk procedure needs a test",
        {"medications": [med("Préviscan", before(hours=12))]},
        {"hemostasis_missing"},
    ),
    (
        "acenocoumarol before peripheral joint needs a test",
        {
            "procedure": "peripheral_joint_infiltration",
            "medications": [med("Sintrom", before(hours=12))],
        },
        {"hemostasis_missing"},
    ),
    # hemostasis_stale
    (
        "exactly 30 days old is valid",
        {"procedure": HIGH, "hemostasis": {**HEMO_OK, "sampled_at": before(days=30)}},
        set(),
    ),
    (
        "30 days and 1 s old is stale",
        {"procedure": HIGH, "hemostasis": {**HEMO_OK, "sampled_at": before(days=30, seconds=1)}},
        {"hemostasis_stale"},
    ),
    (
        "sampled 1 s after the start is stale",
        {"procedure": HIGH, "hemostasis": {**HEMO_OK, "sampled_at": before(seconds=-1)}},
        {"hemostasis_stale"},
    ),
    (
        "sampled exactly at the start is valid",
        {"procedure": HIGH, "hemostasis": {**HEMO_OK, "sampled_at": SCHED}},
        set(),
    ),
    (
        "old test not required is not judged stale",
        {"hemostasis": {**HEMO_OK, "sampled_at": before(days=90)}},
        set(),
    ),
    (
        "VKA: test on the procedure day is valid",
        {
            "medications": [med("Coumadine", before(days=2))],
            "hemostasis": {**HEMO_OK, "sampled_at": "2026-03-10T07:00:00+01:00"},
        },
        set(),
    ),
    (
        "VKA: test the day before (just after midnight) is valid",
        {
            "medications": [med("warfarin", before(days=2))],
            "hemostasis": {**HEMO_OK, "sampled_at": "2026-03-09T00:00:00+01:00"},
        },
        set(),
    ),
    (
        "VKA: the Paris calendar decides, not UTC (23:30Z on the 8th is the 9th in Paris)",
        {
            "medications": [med("warfarin", before(days=2))],
            "hemostasis": {**HEMO_OK, "sampled_at": "2026-03-08T23:30:00Z"},
        },
        set(),
    ),
    (
        "VKA: two days before is stale even for a low-risk procedure",
        {
            "medications": [med("warfarin", before(days=2))],
            "hemostasis": {**HEMO_OK, "sampled_at": "2026-03-08T23:59:00+01:00"},
        },
        {"hemostasis_stale"},
    ),
    # hemostasis_incomplete: a hard stop since revision 2
    (
        "required test without platelets",
        {"procedure": HIGH, "hemostasis": {**HEMO_OK, "platelets_g_l": None}},
        {"hemostasis_incomplete"},
    ),
    (
        "required test without INR",
        {
            "procedure": HIGH,
            "hemostasis": {"sampled_at": HEMO_OK["sampled_at"], "platelets_g_l": 200},
        },
        {"hemostasis_incomplete"},
    ),
    (
        "required test without platelets nor INR (the issue's epidural)",
        {"procedure": HIGH, "hemostasis": {"sampled_at": HEMO_OK["sampled_at"]}},
        {"hemostasis_incomplete"},
    ),
    (
        "VKA, low risk: INR missing",
        {
            "medications": [med("warfarin", before(days=1))],
            "hemostasis": {**HEMO_OK, "inr": None},
        },
        {"hemostasis_incomplete"},
    ),
    (
        "VKA, low risk: platelets not required",
        {
            "medications": [med("Sintrom", before(days=1))],
            "hemostasis": {**HEMO_OK, "platelets_g_l": None},
        },
        set(),
    ),
    (
        "stale and incomplete: both named (the new sample needs the value)",
        {
            "procedure": HIGH,
            "hemostasis": {**HEMO_OK, "sampled_at": before(days=31), "inr": None},
        },
        {"hemostasis_stale", "hemostasis_incomplete"},
    ),
    (
        "not required test without values is fine",
        {"hemostasis": {"sampled_at": HEMO_OK["sampled_at"]}},
        set(),
    ),
    (
        "required test without aPTT is fine",
        {"procedure": HIGH, "hemostasis": {**HEMO_OK, "aptt_ratio": None}},
        set(),
    ),
    # platelets_low
    (
        "platelets 50 high risk OK",
        {"procedure": HIGH, "hemostasis": {**HEMO_OK, "platelets_g_l": 50}},
        set(),
    ),
    (
        "platelets 49.9 high risk",
        {"procedure": HIGH, "hemostasis": {**HEMO_OK, "platelets_g_l": 49.9}},
        {"platelets_low"},
    ),
    ("platelets 20 low risk OK", {"hemostasis": {**HEMO_OK, "platelets_g_l": 20}}, set()),
    (
        "platelets 19.9 low risk",
        {"hemostasis": {**HEMO_OK, "platelets_g_l": 19.9}},
        {"platelets_low"},
    ),
    (
        "platelets low in a stale required test still reported",
        {
            "procedure": HIGH,
            "hemostasis": {**HEMO_OK, "sampled_at": before(days=40), "platelets_g_l": 10},
        },
        {"hemostasis_stale", "platelets_low"},
    ),
    # inr_high
    ("INR 1.5 high risk OK", {"procedure": HIGH, "hemostasis": {**HEMO_OK, "inr": 1.5}}, set()),
    (
        "INR 1.51 high risk",
        {"procedure": HIGH, "hemostasis": {**HEMO_OK, "inr": 1.51}},
        {"inr_high"},
    ),
    # revision 2: low-risk limit 3.0 (SIR 2019)
    ("INR 2.01 low risk OK", {"hemostasis": {**HEMO_OK, "inr": 2.01}}, set()),
    ("INR 3.0 low risk OK", {"hemostasis": {**HEMO_OK, "inr": 3.0}}, set()),
    ("INR 3.01 low risk", {"hemostasis": {**HEMO_OK, "inr": 3.01}}, {"inr_high"}),
    (
        "VKA low risk: INR 1.8 is under the low-risk threshold",
        {"medications": [med("warfarin", before(days=1))], "hemostasis": {**HEMO_OK, "inr": 1.8}},
        set(),
    ),
    (
        "VKA low risk: INR 2.5 in range, kept on warfarin",
        {"medications": [med("warfarin", before(days=1))], "hemostasis": {**HEMO_OK, "inr": 2.5}},
        set(),
    ),
    (
        "VKA low risk: INR 3.2",
        {"medications": [med("warfarin", before(days=1))], "hemostasis": {**HEMO_OK, "inr": 3.2}},
        {"inr_high"},
    ),
    # aptt_high
    ("aPTT 1.2 OK", {"hemostasis": {**HEMO_OK, "aptt_ratio": 1.2}}, set()),
    ("aPTT 1.21", {"hemostasis": {**HEMO_OK, "aptt_ratio": 1.21}}, {"aptt_high"}),
    # antiplatelet_review
    (
        "aspirin (Kardégic) before high risk",
        {
            "procedure": HIGH,
            "hemostasis": HEMO_OK,
            "medications": [med("Kardégic 75 mg", before(hours=2))],
        },
        {"antiplatelet_review"},
    ),
    (
        "aspirin before low risk is continued",
        {"medications": [med("aspirine", before(hours=2))]},
        set(),
    ),
    # medication_unknown
    (
        "unknown drug low risk",
        {"medications": [med("paracétamol", before(hours=2))]},
        {"medication_unknown"},
    ),
    (
        "unknown drug high risk",
        {
            "procedure": HIGH,
            "hemostasis": HEMO_OK,
            "medications": [med("Doliprane", before(hours=2))],
        },
        {"medication_unknown"},
    ),
    (
        "fluindione before high risk: unknown (not in SIR) and INR rules",
        {
            "procedure": HIGH,
            "hemostasis": HEMO_OK,
            "medications": [med("fluindione", before(days=9))],
        },
        {"medication_unknown"},
    ),
    (
        "fluindione before high risk with an old test",
        {
            "procedure": HIGH,
            "hemostasis": {**HEMO_OK, "sampled_at": before(days=5)},
            "medications": [med("Previscan", before(days=9))],
        },
        {"medication_unknown", "hemostasis_stale"},
    ),
    # pregnancy
    ("pregnant", {"patient": {"sex": "F", "age": 30, "pregnant": True}}, {"pregnancy"}),
    ("pregnancy unknown at 11", {"patient": {"sex": "F", "age": 11}}, set()),
    ("pregnancy unknown at 12", {"patient": {"sex": "F", "age": 12}}, {"pregnancy_unknown"}),
    ("pregnancy unknown at 50", {"patient": {"sex": "F", "age": 50}}, {"pregnancy_unknown"}),
    ("pregnancy unknown at 51", {"patient": {"sex": "F", "age": 51}}, set()),
    ("not pregnant", {"patient": {"sex": "F", "age": 30, "pregnant": False}}, set()),
    ("man, pregnancy null", {"patient": {"sex": "M", "age": 30}}, set()),
    # revision 2: sex X is asked too
    ("sex X, pregnancy null", {"patient": {"sex": "X", "age": 30}}, {"pregnancy_unknown"}),
    ("sex X at 11", {"patient": {"sex": "X", "age": 11}}, set()),
    ("sex X at 12", {"patient": {"sex": "X", "age": 12}}, {"pregnancy_unknown"}),
    ("sex X at 50", {"patient": {"sex": "X", "age": 50}}, {"pregnancy_unknown"}),
    ("sex X at 51", {"patient": {"sex": "X", "age": 51}}, set()),
    ("sex X, not pregnant", {"patient": {"sex": "X", "age": 30, "pregnant": False}}, set()),
    ("sex X, pregnant", {"patient": {"sex": "X", "age": 30, "pregnant": True}}, {"pregnancy"}),
    # fever, infection, skin lesion
    ("fever", {"fever": True}, {"fever"}),
    ("fever unknown reads as no", {"fever": None}, set()),
    ("infection", {"current_infection": True}, {"infection"}),
    ("skin lesion", {"skin_lesion_at_site": True}, {"skin_lesion"}),
    ("neutropenia is no finding before an infiltration", {"neutropenia": True}, set()),
    *[
        row
        for proc in CEMENT
        for row in (
            (
                f"infection before {proc}: no_go",
                {"procedure": proc, "hemostasis": HEMO_OK, "current_infection": True},
                {"infection"},
            ),
            (
                f"skin lesion before {proc}: no_go",
                {"procedure": proc, "hemostasis": HEMO_OK, "skin_lesion_at_site": True},
                {"skin_lesion"},
            ),
            (
                f"neutropenia before {proc}: review",
                {"procedure": proc, "hemostasis": HEMO_OK, "neutropenia": True},
                {"neutropenia"},
            ),
            (
                f"unknowns before {proc}: nothing",
                {
                    "procedure": proc,
                    "hemostasis": HEMO_OK,
                    "neutropenia": None,
                    "current_infection": None,
                    "skin_lesion_at_site": None,
                },
                set(),
            ),
        )
    ],
    (
        "infection before a bone biopsy stays a review",
        {"procedure": "bone_biopsy", "hemostasis": HEMO_OK, "current_infection": True},
        {"infection"},
    ),
    # renal_review (revision 2)
    (
        "CrCl 14.9 + apixaban stopped long ago: review",
        {
            "procedure": HIGH,
            "hemostasis": HEMO_OK,
            "patient": {"creatinine_clearance_ml_min": 14.9},
            "medications": [med("Eliquis", before(days=10))],
        },
        {"renal_review"},
    ),
    (
        "CrCl 15 + apixaban: no renal review",
        {
            "procedure": HIGH,
            "hemostasis": HEMO_OK,
            "patient": {"creatinine_clearance_ml_min": 15},
            "medications": [med("Eliquis", before(days=10))],
        },
        set(),
    ),
    (
        "CrCl unknown + apixaban: the longer interval, no renal review",
        {
            "procedure": HIGH,
            "hemostasis": HEMO_OK,
            "medications": [med("Eliquis", before(days=10))],
        },
        set(),
    ),
    (
        "CrCl 10 + enoxaparin, fondaparinux, edoxaban, Fraxiparine: one review",
        {
            "procedure": HIGH,
            "hemostasis": HEMO_OK,
            "patient": {"creatinine_clearance_ml_min": 10},
            "medications": [
                med("Lovenox", before(days=10)),
                med("Arixtra", before(days=10)),
                med("edoxaban", before(days=10)),
                med("Fraxiparine", before(days=10), "prophylactic"),
            ],
        },
        {"renal_review"},
    ),
    (
        "CrCl 10 + warfarin, heparin, clopidogrel: not renally cleared",
        {
            "procedure": HIGH,
            "hemostasis": HEMO_OK,
            "patient": {"creatinine_clearance_ml_min": 10},
            "medications": [
                med("warfarin", before(days=10)),
                med("héparine", before(days=10)),
                med("Calciparine", before(days=10)),
                med("Plavix", before(days=10)),
            ],
        },
        set(),
    ),
    (
        "CrCl 10 + apixaban before a low-risk procedure: continued, no review",
        {
            "patient": {"creatinine_clearance_ml_min": 10},
            "medications": [med("apixaban", before(hours=2))],
        },
        set(),
    ),
    (
        "CrCl 10 + apixaban within the hold: hold and review",
        {
            "procedure": HIGH,
            "hemostasis": HEMO_OK,
            "patient": {"creatinine_clearance_ml_min": 10},
            "medications": [med("apixaban", before(hours=71))],
        },
        {"medication_hold", "renal_review"},
    ),
    # allergies
    ("contrast allergy", {"allergies": ["iodinated_contrast"]}, {"allergy_contrast"}),
    ("corticosteroid allergy", {"allergies": ["corticosteroid"]}, {"allergy_corticosteroid"}),
    ("anaesthetic allergy", {"allergies": ["local_anaesthetic"]}, {"allergy_local_anaesthetic"}),
    ("latex allergy", {"allergies": ["latex"]}, {"allergy_latex"}),
    ("other allergy", {"allergies": ["other"]}, {"allergy_other"}),
    # NSAIDs never block
    (
        "NSAID before high risk",
        {"procedure": HIGH, "hemostasis": HEMO_OK, "medications": [med("Advil", before(hours=1))]},
        set(),
    ),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [(f, e) for _, f, e in TABLE], ids=[t[0] for t in TABLE]
)
def test_finding_table(fields: dict[str, Any], expected: set[str]) -> None:
    result = run(**fields)
    assert codes(result) == expected
    severities = {_severity(c, fields) for c in expected}
    verdict = "no_go" if "no_go" in severities else "review" if severities else "go"
    assert result.verdict == verdict
    for f in result.findings:
        assert f.severity == _severity(f.code, fields)


def _severity(code: str, fields: dict[str, Any]) -> str:
    """The table's severity; infection and skin lesion stop cement and ablation."""
    if code in ("infection", "skin_lesion") and fields.get("procedure") in CEMENT:
        return "no_go"
    return FINDING_SPECS[code].severity


def test_every_code_has_a_spec_and_the_documented_severity() -> None:
    documented = {
        "procedure_not_performed": "no_go",
        "indication_not_validated": "no_go",
        "hemostasis_missing": "no_go",
        "hemostasis_stale": "no_go",
        "hemostasis_incomplete": "no_go",
        "platelets_low": "no_go",
        "inr_high": "no_go",
        "aptt_high": "review",
        "medication_hold": "no_go",
        "antiplatelet_review": "review",
        "medication_unknown": "review",
        "pregnancy": "review",
        "pregnancy_unknown": "review",
        "fever": "no_go",
        "infection": "review",
        "skin_lesion": "review",
        "neutropenia": "review",
        "renal_review": "review",
        "allergy_contrast": "review",
        "allergy_corticosteroid": "review",
        "allergy_local_anaesthetic": "review",
        "allergy_latex": "review",
        "allergy_other": "review",
        "medication_continued": "info",
        "nsaid_no_hold": "info",
    }
    assert {c: s.severity for c, s in FINDING_SPECS.items()} == documented
    for code, spec in FINDING_SPECS.items():
        assert re.fullmatch(r"S\d\d", spec.rule) and spec.source
        assert finding_text(code, "fr") == spec.text_fr != spec.text_en == finding_text(code, "en")


def test_every_code_is_reachable_by_the_table() -> None:
    reached = set().union(*(e for _, _, e in TABLE))
    # tested below
    reached |= {"medication_hold", "medication_continued", "nsaid_no_hold"}
    assert reached == set(FINDING_SPECS)


# ----------------------------------------------------------------------- hold intervals

HOLDS: list[tuple[str, str | None, float | None, float]] = [
    # drug as written, dose, CrCl, hours
    ("warfarin", None, None, 120),
    ("Coumadine 5 mg", None, 80, 120),
    ("acenocoumarol", None, None, 72),
    ("Minisintrom", None, None, 72),
    ("héparine", None, None, 6),
    ("Héparine Choay", "therapeutic", None, 6),  # IV heparin: the dose does not change it
    # revision 2: subcutaneous calcium heparin by dose (ASRA 2018), never the IV row
    ("Calciparine", "prophylactic", None, 6),
    ("Calciparine", "therapeutic", None, 24),
    ("Calciparine", None, None, 24),
    ("héparine calcique", None, 20, 24),
    ("héparine 5000 UI SC", "prophylactic", None, 6),
    ("héparine sous-cutanée", None, None, 24),
    # revision 2: nadroparin in the LMWH row
    ("Fraxiparine", "prophylactic", None, 12),
    ("nadroparine", "therapeutic", None, 24),
    ("FRAXIPARINE 0,6 ml", None, None, 24),
    ("enoxaparin", "prophylactic", None, 12),
    ("Lovenox 4000 UI", "prophylactic", None, 12),
    ("enoxaparin", "therapeutic", None, 24),
    ("enoxaparin", None, None, 24),
    ("Fragmine", "prophylactic", None, 12),
    ("dalteparin", "therapeutic", None, 24),
    ("Innohep", "prophylactic", None, 12),
    ("tinzaparin", None, None, 24),
    ("fondaparinux", None, 50, 72),
    ("Arixtra", None, 49.9, 120),
    ("fondaparinux", None, None, 120),
    ("apixaban", None, 50, 48),
    ("ELIQUIS", None, 49, 72),
    ("Eliquis 5 mg", None, None, 72),
    ("rivaroxaban", None, 30, 48),
    ("Xarelto 20 mg", None, 29.9, 72),
    ("rivaroxaban", None, None, 72),
    ("dabigatran", None, 50, 48),
    ("Pradaxa", None, 49, 96),
    ("dabigatran", None, None, 96),
    ("edoxaban", None, None, 48),
    ("Lixiana", None, 20, 48),
    ("clopidogrel", None, None, 120),
    ("Plavix 75 mg", None, None, 120),
    ("ticagrelor", None, None, 120),
    ("Brilique", None, None, 120),
    ("prasugrel", None, None, 168),
    ("Efient", None, None, 168),
]


@pytest.mark.parametrize(("drug", "dose", "crcl", "hours"), HOLDS)
def test_hold_exact_interval_is_allowed(
    drug: str, dose: str | None, crcl: float | None, hours: float
) -> None:
    result = run(
        procedure=HIGH,
        hemostasis=HEMO_OK,
        patient={"creatinine_clearance_ml_min": crcl},
        medications=[med(drug, before(hours=hours), dose)],
    )
    assert codes(result) == set()
    assert result.earliest_safe_at is None


@pytest.mark.parametrize(("drug", "dose", "crcl", "hours"), HOLDS)
def test_hold_one_second_short(
    drug: str, dose: str | None, crcl: float | None, hours: float
) -> None:
    last = T0 - timedelta(hours=hours) + timedelta(seconds=1)
    result = run(
        procedure=HIGH,
        hemostasis=HEMO_OK,
        patient={"creatinine_clearance_ml_min": crcl},
        medications=[med(drug, iso(last), dose)],
    )
    assert codes(result) == {"medication_hold"}
    assert result.verdict == "no_go"
    assert result.earliest_safe_at == T0 + timedelta(seconds=1)
    assert result.to_json()["earliest_safe_at"] == "2026-03-10T09:00:01+01:00"


def test_hold_only_before_high_risk_procedures() -> None:
    result = run(procedure=LOW, medications=[med("apixaban", before(hours=1))])
    assert codes(result) == set()
    assert all_codes(result) == ["medication_continued"]
    assert result.verdict == "go"
    assert result.earliest_safe_at is None


def test_earliest_safe_at_is_the_latest_over_all_drugs() -> None:
    result = run(
        procedure=HIGH,
        hemostasis=HEMO_OK,
        patient={"creatinine_clearance_ml_min": 90},
        medications=[
            med("apixaban", "2026-03-09T08:00:00+01:00"),  # + 48 h = 11/03 08:00
            med("clopidogrel", "2026-03-08T20:00:00+01:00"),  # + 120 h = 13/03 20:00
            med("Lovenox", "2026-03-10T08:00:00+01:00", "prophylactic"),  # + 12 h = 10/03 20:00
        ],
    )
    assert codes(result) == {"medication_hold"}
    assert result.to_json()["earliest_safe_at"] == "2026-03-13T20:00:00+01:00"
    detail = result.findings[0].detail("fr")
    assert "apixaban" in detail and "clopidogrel" in detail and "Lovenox" in detail


def test_hold_across_the_march_dst_change() -> None:
    # Clocks go forward on 29/03/2026 at 02:00 in Paris: 10:00 on the 28th to 10:00 on the
    # 30th is 47 hours, not 48.
    kw: dict[str, Any] = {
        "procedure": HIGH,
        "patient": {"creatinine_clearance_ml_min": 80},
        "hemostasis": {**HEMO_OK, "sampled_at": "2026-03-29T08:00:00+02:00"},
        "medications": [med("apixaban", "2026-03-28T10:00:00+01:00")],
    }
    result = run(scheduled_at="2026-03-30T10:00:00+02:00", **kw)
    assert codes(result) == {"medication_hold"}
    assert result.to_json()["earliest_safe_at"] == "2026-03-30T11:00:00+02:00"
    assert codes(run(scheduled_at="2026-03-30T11:00:00+02:00", **kw)) == set()


def test_dst_with_zoneinfo_datetimes_built_by_the_database_adapter() -> None:
    # Same tzinfo object on both sides: Python would subtract wall clocks (48 h); the engine
    # must count the real 47 hours.
    case = Case(
        id="db-1",
        procedure=HIGH,
        patient=Patient(60, "M", None, 80.0),
        scheduled_at=datetime(2026, 3, 30, 10, 0, tzinfo=PARIS),
        indication_validated=True,
        medications=(Medication("Eliquis", datetime(2026, 3, 28, 10, 0, tzinfo=PARIS)),),
        hemostasis=Hemostasis(datetime(2026, 3, 29, 8, 0, tzinfo=PARIS), 200.0, 1.0, 1.0),
    )
    result = check(case)
    assert codes(result) == {"medication_hold"}
    assert result.earliest_safe_at == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    later = replace(case, scheduled_at=datetime(2026, 3, 30, 11, 0, tzinfo=PARIS))
    assert codes(check(later)) == set()


def test_unknown_crcl_takes_the_longer_interval() -> None:
    kw: dict[str, Any] = {"procedure": HIGH, "hemostasis": HEMO_OK}
    last = [med("apixaban", before(hours=60))]
    assert codes(run(patient={"creatinine_clearance_ml_min": 60}, medications=last, **kw)) == set()
    assert codes(run(medications=last, **kw)) == {"medication_hold"}


def test_hold_and_inr_for_a_vka_before_high_risk() -> None:
    kw: dict[str, Any] = {"procedure": HIGH, "medications": [med("warfarin", before(days=6))]}
    assert codes(run(hemostasis=HEMO_OK, **kw)) == set()
    assert codes(run(hemostasis={**HEMO_OK, "inr": 1.8}, **kw)) == {"inr_high"}
    assert codes(run(**kw)) == {"hemostasis_missing"}
    stale = {**HEMO_OK, "sampled_at": before(days=3)}
    assert codes(run(hemostasis=stale, **kw)) == {"hemostasis_stale"}


def test_last_dose_after_the_start_is_held() -> None:
    result = run(procedure=HIGH, hemostasis=HEMO_OK, medications=[med("heparin", before(hours=-1))])
    assert codes(result) == {"medication_hold"}
    assert result.to_json()["earliest_safe_at"] == "2026-03-10T16:00:00+01:00"


# --------------------------------------------------------------------------- info findings


def test_medication_continued_names_the_drugs_once() -> None:
    result = run(
        medications=[
            med("Kardégic", before(hours=3)),
            med("Xarelto", before(hours=3)),
            med("Préviscan", before(hours=3)),
        ],
        hemostasis=HEMO_OK,
    )
    assert result.verdict == "go"
    assert all_codes(result) == ["medication_continued"]
    f = result.findings[0]
    assert f.severity == "info"
    detail = f.detail("fr")
    assert "Kardégic (aspirine)" in detail and "Xarelto (rivaroxaban)" in detail
    assert "Préviscan" in detail
    assert "Xarelto (rivaroxaban)" in f.detail("en")


def test_nsaids_are_info_only_whatever_the_procedure() -> None:
    for procedure, hemo in ((LOW, None), (HIGH, HEMO_OK)):
        result = run(
            procedure=procedure,
            hemostasis=hemo,
            medications=[med("Advil 400 mg", before(hours=1)), med("Profénid", before(hours=1))],
        )
        assert all_codes(result) == ["nsaid_no_hold"]
        assert result.verdict == "go"
        assert "Advil 400 mg (ibuprofène)" in result.findings[0].detail("fr")


def test_unknown_drug_is_named() -> None:
    result = run(medications=[med("Orgaran", before(hours=3))])
    assert codes(result) == {"medication_unknown"}
    assert "Orgaran" in result.findings[0].detail("fr")


# ------------------------------------------------------------------------- order, output


def test_findings_follow_the_table_order() -> None:
    result = run(
        procedure="foraminal_infiltration",
        indication_validated=False,
        patient={"sex": "F", "age": 30},
        fever=True,
        current_infection=True,
        skin_lesion_at_site=True,
        allergies=["other", "latex", "iodinated_contrast"],
        hemostasis={**HEMO_OK, "platelets_g_l": 10, "inr": 3.0, "aptt_ratio": 2.0},
        medications=[
            med("Advil", before(hours=1)),
            med("aspirin", before(hours=1)),
            med("mystery", before(hours=1)),
            med("apixaban", before(hours=1)),
        ],
    )
    order = list(FINDING_SPECS)
    got = all_codes(result)
    assert got == sorted(got, key=order.index)
    assert got == [
        "procedure_not_performed",
        "indication_not_validated",
        "platelets_low",
        "inr_high",
        "aptt_high",
        "medication_hold",
        "antiplatelet_review",
        "medication_unknown",
        "pregnancy_unknown",
        "fever",
        "infection",
        "skin_lesion",
        "allergy_contrast",
        "allergy_latex",
        "allergy_other",
        "nsaid_no_hold",
    ]
    assert result.verdict == "no_go"


def test_verdict_review_when_only_reviews() -> None:
    assert run(current_infection=True, allergies=["latex"]).verdict == "review"


def test_to_json_shape_and_languages() -> None:
    result = run(procedure=HIGH, patient={"sex": "F", "age": 30})
    fr, en = result.to_json(), result.to_json("en")
    assert list(fr) == ["id", "verdict", "bleeding_risk", "findings", "earliest_safe_at"]
    assert fr["findings"][0] == {
        "code": "hemostasis_missing",
        "severity": "no_go",
        "detail": "Bilan d'hémostase obligatoire et absent (geste à haut risque hémorragique).",
        "rule": "S03",
        "source": "SIR 2019, laboratory values; seed 000, Précautions particulières",
    }
    assert result.findings[0].rule == "S03"  # attributes, for the pages
    assert result.findings[0].source == fr["findings"][0]["source"]
    assert en["findings"][0]["detail"].startswith("A blood clotting test is required")
    assert fr["earliest_safe_at"] is None


def test_every_detail_renders_in_both_languages() -> None:
    result = run(
        procedure="foraminal_infiltration",
        indication_validated=False,
        patient={"sex": "F", "age": 30, "pregnant": True},
        hemostasis={**HEMO_OK, "platelets_g_l": None, "inr": 3.0, "aptt_ratio": 2.0},
        medications=[med("warfarin", before(hours=1)), med("Kardégic", before(hours=1))],
    )
    for f in result.findings:
        for lang in ("fr", "en"):
            assert f.detail(lang).startswith(finding_text(f.code, lang)[:-1])


def test_at_is_used_only_when_the_case_has_no_scheduled_at() -> None:
    obj_case = make(procedure=HIGH, hemostasis=HEMO_OK, medications=[med("heparin", SCHED)])
    no_time = replace(obj_case, scheduled_at=None)
    at = T0 + timedelta(hours=6)
    assert codes(check(no_time, at=at)) == set()
    assert codes(check(no_time, at=at - timedelta(seconds=1))) == {"medication_hold"}
    assert codes(check(obj_case, at=at)) == {"medication_hold"}  # its own scheduled_at wins


def test_without_at_now_is_used() -> None:
    case = replace(make(), scheduled_at=None)
    last = datetime.now(UTC) + timedelta(hours=1)
    held = replace(
        case,
        procedure=HIGH,
        hemostasis=Hemostasis(datetime.now(UTC) - timedelta(hours=1), 200.0, 1.0),
        medications=(Medication("heparin", last),),
    )
    assert codes(check(held)) == {"medication_hold"}


# --------------------------------------------------------------------------- settings


def test_settings_change_the_rules() -> None:
    strict = SafetySettings(
        disabled_procedures=frozenset({"facet_infiltration"}),
        hemostasis_max_age_days=7,
        platelets_min_high_risk=100,
        holds={**DEFAULT.holds, "apixaban": HoldRule(24)},
    )
    assert codes(run(settings=strict)) == {"procedure_not_performed"}
    old = {**HEMO_OK, "sampled_at": before(days=8)}
    assert codes(run(settings=strict, procedure=HIGH, hemostasis=old)) == {"hemostasis_stale"}
    low_plt = {**HEMO_OK, "platelets_g_l": 80}
    assert codes(run(settings=strict, procedure=HIGH, hemostasis=low_plt)) == {"platelets_low"}
    apix = [med("apixaban", before(hours=30))]
    assert (
        codes(run(settings=strict, procedure=HIGH, hemostasis=HEMO_OK, medications=apix)) == set()
    )
    assert codes(run(procedure=HIGH, hemostasis=HEMO_OK, medications=apix)) == {"medication_hold"}
    foraminal = SafetySettings(disabled_procedures=frozenset())
    kw: dict[str, Any] = {"procedure": "foraminal_infiltration", "hemostasis": HEMO_OK}
    assert codes(run(settings=foraminal, **kw)) == set()


def test_partial_holds_mapping_falls_back_to_defaults() -> None:
    partial = SafetySettings(holds={"apixaban": HoldRule(24)})
    kw: dict[str, Any] = {"procedure": HIGH, "hemostasis": HEMO_OK}
    assert codes(run(settings=partial, medications=[med("clopidogrel", before(days=1))], **kw)) == {
        "medication_hold"
    }


def test_childbearing_age_setting() -> None:
    s = SafetySettings(childbearing_age_min=15, childbearing_age_max=45)
    assert codes(run(settings=s, patient={"sex": "F", "age": 14})) == set()
    assert codes(run(settings=s, patient={"sex": "F", "age": 45})) == {"pregnancy_unknown"}
    assert codes(run(settings=s, patient={"sex": "F", "age": 46})) == set()


def test_settings_with_decimals_from_a_database() -> None:
    from decimal import Decimal

    s = SafetySettings(
        platelets_min_high_risk=Decimal("50"),  # type: ignore[arg-type]
        holds={"apixaban": HoldRule(Decimal("48"), Decimal("72"), Decimal("50"))},  # type: ignore[arg-type]
    )
    kw: dict[str, Any] = {"procedure": HIGH, "hemostasis": {**HEMO_OK, "platelets_g_l": 49}}
    last = [med("apixaban", before(hours=60))]
    assert codes(run(settings=s, medications=last, **kw)) == {"medication_hold", "platelets_low"}


def test_naive_at_is_refused() -> None:
    case = replace(make(), scheduled_at=None)
    with pytest.raises(ValueError, match="aware"):
        check(case, at=datetime(2026, 3, 10, 9, 0))


@pytest.mark.parametrize(("missing", "named"), [("platelets_g_l", "plaquettes"), ("inr", "INR")])
def test_incomplete_required_result_is_a_hard_stop(missing: str, named: str) -> None:
    """Revision 2: an incomplete required result is never go (it was an info finding)."""
    result = run(procedure=HIGH, hemostasis={**HEMO_OK, missing: None})
    assert result.verdict == "no_go"
    (incomplete,) = [f for f in result.findings if f.code == "hemostasis_incomplete"]
    assert (incomplete.severity, incomplete.rule) == ("no_go", "S05")
    assert named in incomplete.detail("fr")
