"""The rule table (safety_rules.json): stable ids and sources on every finding (revision 2)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

from geste.rules.explain import FINDING_SPECS, RULES_DATA, RULES_FILE, STOP_BEFORE_CEMENT

from .factory import HEMO_OK, HIGH, SCHED, codes, med, run

DOMAIN = Path(__file__).resolve().parents[2] / "docs" / "domain" / "safety-check.md"
T0 = datetime.fromisoformat(SCHED)

# Published ids: a stop explained yesterday must be explained by the same id today. Changing
# this mapping means renumbering a published rule: never do it, add a new id instead.
STABLE_IDS = {
    "procedure_not_performed": "S01",
    "indication_not_validated": "S02",
    "hemostasis_missing": "S03",
    "hemostasis_stale": "S04",
    "hemostasis_incomplete": "S05",
    "platelets_low": "S06",
    "inr_high": "S07",
    "aptt_high": "S08",
    "medication_hold": "S09",
    "antiplatelet_review": "S10",
    "medication_unknown": "S11",
    "pregnancy": "S12",
    "pregnancy_unknown": "S13",
    "fever": "S14",
    "infection": "S15",
    "skin_lesion": "S16",
    "allergy_contrast": "S17",
    "allergy_corticosteroid": "S17",
    "allergy_local_anaesthetic": "S17",
    "allergy_latex": "S17",
    "allergy_other": "S17",
    "medication_continued": "S18",
    "nsaid_no_hold": "S19",
    "neutropenia": "S20",
    "renal_review": "S21",
}


def before(**delta: float) -> str:
    return (T0 - timedelta(**delta)).isoformat()


def test_rule_ids_are_stable() -> None:
    assert {code: spec.rule for code, spec in FINDING_SPECS.items()} == STABLE_IDS


def test_the_table_is_data_and_lists_every_code_of_the_domain_file() -> None:
    data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    assert [r["code"] for r in data["rules"]] == list(FINDING_SPECS)
    domain = DOMAIN.read_text(encoding="utf-8")
    findings_table = domain.split("## Findings")[1].split("##")[0]
    documented = re.findall(r"^\| ([a-z_]+(?:, [a-z_]+)*) \|", findings_table, re.M)
    domain_codes = {c for cell in documented for c in cell.split(", ")} - {"code"}
    info_codes = {"medication_continued", "nsaid_no_hold"}  # named in the text below the table
    assert domain_codes | info_codes == set(FINDING_SPECS)


def test_every_source_names_a_known_reference() -> None:
    known = tuple(RULES_DATA["sources"])
    assert set(known) == {"SIR 2019", "ASRA 2018", "seed 000", "seed 001", "centre setting"}
    for spec in [*FINDING_SPECS.values(), *STOP_BEFORE_CEMENT.values()]:
        assert spec.source.startswith(known), spec.code
        assert len(spec.source) <= 80, spec.code  # a short citation


def test_every_finding_of_a_check_carries_rule_and_source() -> None:
    result = run(
        procedure="tumor_ablation",
        indication_validated=False,
        patient={"sex": "X", "age": 30, "creatinine_clearance_ml_min": 10},
        fever=True,
        current_infection=True,
        skin_lesion_at_site=True,
        neutropenia=True,
        allergies=["latex"],
        hemostasis={**HEMO_OK, "platelets_g_l": None, "inr": 2.0},
        medications=[med("Eliquis", before(hours=1)), med("Advil", before(hours=1))],
    )
    got = [(f.code, f.severity, f.rule) for f in result.findings]
    assert got == [
        ("indication_not_validated", "no_go", "S02"),
        ("hemostasis_incomplete", "no_go", "S05"),
        ("inr_high", "no_go", "S07"),
        ("medication_hold", "no_go", "S09"),
        ("pregnancy_unknown", "review", "S13"),
        ("fever", "no_go", "S14"),
        ("infection", "no_go", "S15"),
        ("skin_lesion", "no_go", "S16"),
        ("neutropenia", "review", "S20"),
        ("renal_review", "review", "S21"),
        ("allergy_latex", "review", "S17"),
        ("nsaid_no_hold", "info", "S19"),
    ]
    for f, out in zip(result.findings, result.to_json()["findings"], strict=True):
        assert (out["rule"], out["source"]) == (f.rule, f.source)
        assert f.source


def test_infection_stop_before_cement_says_why() -> None:
    result = run(procedure="vertebroplasty_benign", hemostasis=HEMO_OK, current_infection=True)
    (f,) = result.findings
    assert (f.code, f.severity, f.rule) == ("infection", "no_go", "S15")
    assert "cimentoplastie" in f.detail("fr") and "cementoplasty" in f.detail("en")


def test_subcutaneous_calcium_heparin_cites_asra() -> None:
    kw = {"procedure": HIGH, "hemostasis": HEMO_OK}
    sc = run(**kw, medications=[med("Calciparine", before(hours=20), "therapeutic")])
    (hold,) = sc.findings
    assert hold.code == "medication_hold" and "ASRA 2018" in hold.source
    iv = run(**kw, medications=[med("héparine", before(hours=5))])
    (hold,) = iv.findings
    assert hold.code == "medication_hold" and "ASRA" not in hold.source


def test_renal_review_keeps_the_longest_interval_for_earliest_safe_at() -> None:
    last = T0 - timedelta(hours=60)
    result = run(
        procedure=HIGH,
        hemostasis=HEMO_OK,
        patient={"creatinine_clearance_ml_min": 10},
        medications=[med("apixaban", last.isoformat()), med("edoxaban", before(hours=47))],
    )
    assert codes(result) == {"medication_hold", "renal_review"}
    assert result.earliest_safe_at == last + timedelta(hours=72)  # apixaban's longer row
    renal = next(f for f in result.findings if f.code == "renal_review")
    assert "apixaban, edoxaban" in renal.detail("fr")  # as declared
    assert "10 mL/min" in renal.detail("en")


def test_renal_threshold_is_a_centre_setting() -> None:
    from geste.rules.settings import SafetySettings

    s = SafetySettings(renal_review_crcl_below=30)
    kw = {
        "procedure": HIGH,
        "hemostasis": HEMO_OK,
        "patient": {"creatinine_clearance_ml_min": 29},
        "medications": [med("Xarelto", before(days=5))],
    }
    assert codes(run(settings=s, **kw)) == {"renal_review"}
    assert codes(run(**kw)) == set()
