"""Case builders shared by the rules tests (plain functions, no database)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from geste.rules.case import Case, parse_case
from geste.rules.safety import CheckResult, check
from geste.rules.settings import DEFAULT, SafetySettings

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "contracts" / "examples"

SCHED = "2026-03-10T09:00:00+01:00"
# A complete, normal blood test taken the day before SCHED (valid even for a VKA patient).
HEMO_OK: dict[str, Any] = {
    "sampled_at": "2026-03-09T08:00:00+01:00",
    "platelets_g_l": 230,
    "inr": 1.0,
    "aptt_ratio": 1.0,
}
HIGH = "epidural_infiltration"
LOW = "facet_infiltration"
ORDER = {"go": 0, "review": 1, "no_go": 2}


def case_json(
    procedure: str = LOW, patient: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    """A valid case: validated indication, scheduled SCHED, man aged 40; ``fields`` override."""
    obj: dict[str, Any] = {
        "id": "t-1",
        "procedure": procedure,
        "scheduled_at": SCHED,
        "patient": {"age": 40, "sex": "M", **(patient or {})},
        "indication_validated": True,
    }
    obj.update(copy.deepcopy(fields))
    return obj


def make(**kw: Any) -> Case:
    return parse_case(case_json(**kw))


def run(settings: SafetySettings = DEFAULT, **kw: Any) -> CheckResult:
    return check(make(**kw), settings)


def codes(result: CheckResult) -> set[str]:
    """Codes of the non-info findings, as the contract examples list them."""
    return {f.code for f in result.findings if f.severity != "info"}


def all_codes(result: CheckResult) -> list[str]:
    return [f.code for f in result.findings]


def med(drug: str, last: str, dose: str | None = None) -> dict[str, Any]:
    m: dict[str, Any] = {"drug": drug, "last_dose_at": last}
    if dose is not None:
        m["dose"] = dose
    return m
