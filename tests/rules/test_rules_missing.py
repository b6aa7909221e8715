"""Unknown is not false (crisis-triage.md, revision 2): decisions read an unknown clinical
input as false, and ``missing_inputs`` lists the unknown inputs that could change them."""

from __future__ import annotations

from datetime import date
from itertools import product
from typing import Any

import pytest

from geste.rules.case import CLINICAL_BOOLS, LEVEL3_ANALGESICS, PROCEDURES
from geste.rules.policy import load_policy
from geste.rules.triage import triage

from .factory import make

TODAY = date(2026, 3, 10)
POLICY = load_policy("covid19-aphp-2020")
ALL_KNOWN_FALSE: dict[str, Any] = {
    **dict.fromkeys(CLINICAL_BOOLS, False),
    "level3_analgesics": "not_tried",
}

# (name, procedure, fields, decision, missing_inputs)
TABLE: list[tuple[str, str, dict[str, Any], str, list[str]]] = [
    (
        "epidural, nothing known: both R2 inputs, although neither alone changes it",
        "epidural_infiltration",
        {},
        "defer",
        ["severe_pain", "level3_analgesics"],
    ),
    (
        "epidural, pain known true: level 3 missing",
        "epidural_infiltration",
        {"severe_pain": True},
        "defer",
        ["level3_analgesics"],
    ),
    (
        "epidural, pain known false: nothing can change the deferral",
        "epidural_infiltration",
        {"severe_pain": False},
        "defer",
        [],
    ),
    (
        "epidural, level 3 effective: nothing missing",
        "epidural_infiltration",
        {"level3_analgesics": "effective"},
        "defer",
        [],
    ),
    (
        "epidural, complete, not yet discussed: discuss, clinicians_confirmed is no input",
        "epidural_infiltration",
        {"severe_pain": True, "level3_analgesics": "failed"},
        "discuss",
        [],
    ),
    (
        "intrathecal, chemotherapy unknown: never deferred silently",
        "intrathecal_injection",
        {},
        "defer",
        ["intrathecal_chemotherapy"],
    ),
    (
        "intrathecal, chemotherapy false",
        "intrathecal_injection",
        {"intrathecal_chemotherapy": False},
        "defer",
        [],
    ),
    ("biopsy, urgency unknown", "bone_biopsy", {}, "defer", ["urgent_diagnosis_needed"]),
    (
        "biopsy, urgent: fever does not matter for a biopsy",
        "bone_biopsy",
        {"urgent_diagnosis_needed": True},
        "maintain",
        [],
    ),
    (
        "benign vertebroplasty, nothing known",
        "vertebroplasty_benign",
        {},
        "defer",
        [
            "severe_pain",
            "level3_analgesics",
            "fever",
            "respiratory_signs",
            "neutropenia",
            "bedrest_decline_risk",
        ],
    ),
    (
        "benign vertebroplasty, fever: rule 1 wins whatever the rest",
        "vertebroplasty_benign",
        {"fever": True},
        "contraindicated",
        [],
    ),
    (
        "benign vertebroplasty maintained for bed rest: rule 1 inputs missing",
        "vertebroplasty_benign",
        {"bedrest_decline_risk": True},
        "maintain",
        ["fever", "respiratory_signs", "neutropenia"],
    ),
    (
        "tumoral, not yet discussed: only rule 1 inputs can change discuss",
        "vertebroplasty_tumoral",
        {"lesion_count": 3},
        "discuss",
        ["fever", "respiratory_signs", "neutropenia"],
    ),
    (
        "tumoral, confirmed without a known reason",
        "tumor_ablation",
        {"clinicians_confirmed": True, "fever": False, "respiratory_signs": False},
        "discuss",
        ["severe_pain", "neutropenia", "threatening_lesion", "local_tumor_control_needed"],
    ),
    (
        "tumoral, confirmed, threatening: the other reasons are not missing",
        "tumor_ablation",
        {
            "clinicians_confirmed": True,
            "threatening_lesion": True,
            "fever": False,
            "respiratory_signs": False,
            "neutropenia": False,
        },
        "maintain",
        [],
    ),
    (
        "joint, arthritis unknown",
        "peripheral_joint_infiltration",
        {},
        "defer",
        ["acute_arthritis", "crystal_arthritis"],
    ),
    (
        "joint, acute arthritis: crystal no longer matters",
        "peripheral_joint_infiltration",
        {"acute_arthritis": True},
        "discuss",
        [],
    ),
    (
        "joint, no acute arthritis, crystal unknown",
        "peripheral_joint_infiltration",
        {"acute_arthritis": False},
        "defer",
        ["crystal_arthritis"],
    ),
]


@pytest.mark.parametrize(
    ("procedure", "fields", "decision", "missing"),
    [t[1:] for t in TABLE],
    ids=[t[0] for t in TABLE],
)
def test_missing_inputs(
    procedure: str, fields: dict[str, Any], decision: str, missing: list[str]
) -> None:
    result = triage(make(procedure=procedure, **fields), POLICY, TODAY)
    assert result.decision == decision
    assert list(result.missing_inputs) == missing
    assert result.to_json()["missing_inputs"] == missing


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_unknown_decides_as_false(procedure: str) -> None:
    unknown = triage(make(procedure=procedure), POLICY, TODAY)
    known = triage(make(procedure=procedure, **ALL_KNOWN_FALSE), POLICY, TODAY)
    assert (unknown.decision, unknown.rules) == (known.decision, known.rules)
    assert known.missing_inputs == ()


def _brute_force(procedure: str, fields: dict[str, Any]) -> list[str]:
    """The definition, independently: an unknown input is missing when some values of the
    other unknowns make its own value change the decision."""
    inputs = [*CLINICAL_BOOLS, "level3_analgesics"]
    unknown = [f for f in inputs if fields.get(f) is None]
    # only what the policy reads for this procedure can matter; keep the search small
    read = set(POLICY.reads[procedure])
    unknown = [f for f in unknown if f in read]
    values = {f: LEVEL3_ANALGESICS if f == "level3_analgesics" else (False, True) for f in unknown}
    missing = []
    for f in unknown:
        others = [g for g in unknown if g != f]
        for combo in product(*(values[g] for g in others)):
            base = {**fields, **dict(zip(others, combo, strict=True))}
            decisions = {
                triage(make(procedure=procedure, **{**base, f: v}), POLICY, TODAY).decision
                for v in values[f]
            }
            if len(decisions) > 1:
                missing.append(f)
                break
    order = [*CLINICAL_BOOLS[:1], "level3_analgesics", *CLINICAL_BOOLS[1:]]  # schema order
    return sorted(missing, key=order.index)


@pytest.mark.parametrize("procedure", PROCEDURES)
@pytest.mark.parametrize("confirmed", [None, True, False])
def test_missing_inputs_match_the_definition(procedure: str, confirmed: bool | None) -> None:
    for fields in ({}, {"severe_pain": True}, {"fever": False, "acute_arthritis": False}):
        case_fields = {**fields, "clinicians_confirmed": confirmed}
        result = triage(make(procedure=procedure, **case_fields), POLICY, TODAY)
        assert list(result.missing_inputs) == _brute_force(procedure, case_fields)


def test_memo_gives_the_same_answer_and_stays_bounded() -> None:
    case = make(procedure="vertebroplasty_benign")
    first = triage(case, POLICY, TODAY).missing_inputs
    assert triage(case, POLICY, TODAY).missing_inputs == first
    for age in range(0, 121):  # a numeric field the policy does not read: no new entries
        triage(make(procedure="vertebroplasty_benign", patient={"age": age}), POLICY, TODAY)
    assert len(POLICY.memo) < 1000
