"""Every rule of the crisis policy covid19-aphp-2020 (docs/domain/crisis-triage.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from geste.rules.policy import load_policy
from geste.rules.triage import triage

from .factory import make

TODAY = date(2026, 3, 10)
POLICY = load_policy("covid19-aphp-2020")
INFILTRATIONS = (
    "epidural_infiltration",
    "foraminal_infiltration",
    "facet_infiltration",
    "discal_infiltration",
)
L3_FAIL = {"severe_pain": True, "level3_analgesics": "failed"}

# (name, procedure, fields, decision, rules, group_lesions)
TABLE: list[tuple[str, str, dict[str, Any], str, list[str], bool]] = [
    # R1 wins over everything
    (
        "R1 fever benign",
        "vertebroplasty_benign",
        {"fever": True, **L3_FAIL},
        "contraindicated",
        ["R1"],
        False,
    ),
    (
        "R1 neutropenia tumoral",
        "vertebroplasty_tumoral",
        {"neutropenia": True, "clinicians_confirmed": True, "severe_pain": True},
        "contraindicated",
        ["R1"],
        False,
    ),
    (
        "R1 respiratory ablation",
        "tumor_ablation",
        {"respiratory_signs": True},
        "contraindicated",
        ["R1"],
        False,
    ),
    (
        "R1 with R7",
        "tumor_ablation",
        {"fever": True, "lesion_count": 2},
        "contraindicated",
        ["R1", "R7"],
        True,
    ),
    (
        "R1 does not apply to infiltrations",
        "epidural_infiltration",
        {"fever": True},
        "defer",
        ["R2b"],
        False,
    ),
    (
        "R1 does not apply to biopsy",
        "bone_biopsy",
        {"fever": True, "urgent_diagnosis_needed": True},
        "maintain",
        ["R4a"],
        False,
    ),
    # R3
    (
        "R3 chemo",
        "intrathecal_injection",
        {"intrathecal_chemotherapy": True},
        "maintain",
        ["R3a"],
        False,
    ),
    ("R3 otherwise", "intrathecal_injection", {**L3_FAIL}, "defer", ["R3b"], False),
    # R4
    ("R4 urgent", "bone_biopsy", {"urgent_diagnosis_needed": True}, "maintain", ["R4a"], False),
    ("R4 otherwise", "bone_biopsy", {"severe_pain": True}, "defer", ["R4b"], False),
    # R5
    ("R5 pain + L3 failed", "vertebroplasty_benign", {**L3_FAIL}, "maintain", ["R5a"], False),
    (
        "R5 pain + L3 not tolerated",
        "vertebroplasty_benign",
        {"severe_pain": True, "level3_analgesics": "not_tolerated"},
        "maintain",
        ["R5a"],
        False,
    ),
    (
        "R5 bed rest",
        "vertebroplasty_benign",
        {"bedrest_decline_risk": True},
        "maintain",
        ["R5a"],
        False,
    ),
    (
        "R5 pain, L3 not tried",
        "vertebroplasty_benign",
        {"severe_pain": True},
        "defer",
        ["R5b"],
        False,
    ),
    (
        "R5 L3 failed, no severe pain",
        "vertebroplasty_benign",
        {"level3_analgesics": "failed"},
        "defer",
        ["R5b"],
        False,
    ),
    (
        "R5 no group for benign",
        "vertebroplasty_benign",
        {"lesion_count": 3},
        "defer",
        ["R5b"],
        False,
    ),
    # R6
    (
        "R6 confirmed + pain",
        "vertebroplasty_tumoral",
        {"clinicians_confirmed": True, "severe_pain": True},
        "maintain",
        ["R6a"],
        False,
    ),
    (
        "R6 confirmed + threatening",
        "tumor_ablation",
        {"clinicians_confirmed": True, "threatening_lesion": True},
        "maintain",
        ["R6a"],
        False,
    ),
    (
        "R6 confirmed + local control",
        "vertebroplasty_tumoral",
        {"clinicians_confirmed": True, "local_tumor_control_needed": True},
        "maintain",
        ["R6a"],
        False,
    ),
    (
        "R6 confirmed, no reason",
        "vertebroplasty_tumoral",
        {"clinicians_confirmed": True},
        "discuss",
        ["R6c"],
        False,
    ),
    (
        "R6 not confirmed",
        "tumor_ablation",
        {"clinicians_confirmed": False, "severe_pain": True},
        "defer",
        ["R6b"],
        False,
    ),
    (
        "R6 not yet discussed",
        "vertebroplasty_tumoral",
        {"threatening_lesion": True},
        "discuss",
        ["R6c"],
        False,
    ),
    # R7
    (
        "R7 two lesions",
        "vertebroplasty_tumoral",
        {"lesion_count": 2, "clinicians_confirmed": True, "severe_pain": True},
        "maintain",
        ["R6a", "R7"],
        True,
    ),
    ("R7 one lesion", "tumor_ablation", {"lesion_count": 1}, "discuss", ["R6c"], False),
    (
        "R7 with defer",
        "tumor_ablation",
        {"lesion_count": 50, "clinicians_confirmed": False},
        "defer",
        ["R6b", "R7"],
        True,
    ),
    # R8
    (
        "R8 acute",
        "peripheral_joint_infiltration",
        {"acute_arthritis": True},
        "discuss",
        ["R8a"],
        False,
    ),
    (
        "R8 crystal",
        "peripheral_joint_infiltration",
        {"crystal_arthritis": True},
        "discuss",
        ["R8a"],
        False,
    ),
    ("R8 otherwise", "peripheral_joint_infiltration", {**L3_FAIL}, "defer", ["R8b"], False),
    # R8, revision 2: the case-by-case discussion ends with clinicians_confirmed
    (
        "R8 acute, confirmed",
        "peripheral_joint_infiltration",
        {"acute_arthritis": True, "clinicians_confirmed": True},
        "maintain",
        ["R8c"],
        False,
    ),
    (
        "R8 crystal, not confirmed",
        "peripheral_joint_infiltration",
        {"crystal_arthritis": True, "clinicians_confirmed": False},
        "defer",
        ["R8d"],
        False,
    ),
    (
        "R8 confirmed without arthritis",
        "peripheral_joint_infiltration",
        {"acute_arthritis": False, "clinicians_confirmed": True},
        "defer",
        ["R8b"],
        False,
    ),
    (
        "R8 arthritis unknown, confirmed",
        "peripheral_joint_infiltration",
        {"clinicians_confirmed": True},
        "defer",
        ["R8b"],
        False,
    ),
]
for _proc in INFILTRATIONS:
    TABLE += [
        (f"R2 {_proc} pain + failed", _proc, {**L3_FAIL}, "discuss", ["R2a"], False),
        (
            f"R2 {_proc} pain + not tolerated",
            _proc,
            {"severe_pain": True, "level3_analgesics": "not_tolerated"},
            "discuss",
            ["R2a"],
            False,
        ),
        (
            f"R2 {_proc} pain + effective",
            _proc,
            {"severe_pain": True, "level3_analgesics": "effective"},
            "defer",
            ["R2b"],
            False,
        ),
        (
            f"R2 {_proc} failed, no severe pain",
            _proc,
            {"level3_analgesics": "failed"},
            "defer",
            ["R2b"],
            False,
        ),
        # revision 2: the case-by-case discussion ends with clinicians_confirmed
        (
            f"R2 {_proc} pain + failed, confirmed",
            _proc,
            {**L3_FAIL, "clinicians_confirmed": True},
            "maintain",
            ["R2c"],
            False,
        ),
        (
            f"R2 {_proc} pain + not tolerated, not confirmed",
            _proc,
            {
                "severe_pain": True,
                "level3_analgesics": "not_tolerated",
                "clinicians_confirmed": False,
            },
            "defer",
            ["R2d"],
            False,
        ),
        (
            f"R2 {_proc} confirmed but L3 effective",
            _proc,
            {"severe_pain": True, "level3_analgesics": "effective", "clinicians_confirmed": True},
            "defer",
            ["R2b"],
            False,
        ),
    ]


@pytest.mark.parametrize(
    ("procedure", "fields", "decision", "rules", "group"),
    [t[1:] for t in TABLE],
    ids=[t[0] for t in TABLE],
)
def test_policy_table(
    procedure: str, fields: dict[str, Any], decision: str, rules: list[str], group: bool
) -> None:
    result = triage(make(procedure=procedure, **fields), POLICY, TODAY)
    assert result.decision == decision
    assert list(result.rules) == rules
    assert result.group_lesions is group
    expected_review = {"defer": "2026-04-07", "contraindicated": "2026-03-24"}.get(decision)
    got = result.to_json()
    assert got.pop("missing_inputs") == list(result.missing_inputs)  # see test_rules_missing
    assert got == {
        "id": "t-1",
        "decision": decision,
        "rules": rules,
        "review_on": expected_review,
        "group_lesions": group,
    }
    assert [t.rule_id for t in result.texts] == rules
    assert all(result.explanation("fr")) and result.explanation("en") != result.explanation("fr")


def test_every_rule_is_exercised() -> None:
    used = {r for t in TABLE for r in t[4]}
    assert used == {r.id for r in POLICY.rules}


def test_review_on_follows_today() -> None:
    case = make(procedure="bone_biopsy")
    assert triage(case, POLICY, date(2026, 12, 20)).review_on == date(2027, 1, 17)
    case = make(procedure="tumor_ablation", fever=True)
    assert triage(case, POLICY, date(2026, 2, 20)).review_on == date(2026, 3, 6)


@pytest.mark.parametrize("procedure", list(POLICY.plan))
def test_every_procedure_gets_a_decision(procedure: str) -> None:
    result = triage(make(procedure=procedure), POLICY, TODAY)
    assert result.decision in ("maintain", "defer", "discuss", "contraindicated")
    assert result.rules
