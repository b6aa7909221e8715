"""The rule table of the safety check, read from ``safety_rules.json`` (data, one row per
finding code): its stable rule id (``S01``...), severity, short source citation, and a short
French (for nurses and radiologists) and English explanation. The detail of one finding (its
facts) is rendered by ``details.py``; policy rules carry their own texts in the policy file
(``policies/*.json``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from geste import PARIS

__all__ = [
    "CEMENT_OR_ABLATION",
    "FINDING_SPECS",
    "HEPARIN_CALCIUM_SOURCE",
    "PARIS",
    "PROCEDURE_LABELS",
    "RULES_DATA",
    "STOP_BEFORE_CEMENT",
    "FindingSpec",
    "finding_text",
]


PROCEDURE_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "epidural_infiltration": ("infiltration épidurale", "epidural infiltration"),
        "foraminal_infiltration": ("infiltration foraminale", "foraminal infiltration"),
        "facet_infiltration": ("infiltration articulaire postérieure", "facet joint infiltration"),
        "discal_infiltration": ("infiltration discale", "discal infiltration"),
        "intrathecal_injection": ("injection intrathécale", "intrathecal injection"),
        "bone_biopsy": ("biopsie osseuse", "bone biopsy"),
        "vertebroplasty_benign": (
            "vertébroplastie (ostéoporose, traumatisme)",
            "vertebroplasty (osteoporotic or traumatic)",
        ),
        "vertebroplasty_tumoral": ("vertébroplastie tumorale", "tumoral vertebroplasty"),
        "tumor_ablation": ("ablation tumorale", "tumour ablation"),
        "peripheral_joint_infiltration": (
            "infiltration articulaire périphérique",
            "peripheral joint infiltration",
        ),
    }
)


@dataclass(frozen=True, slots=True)
class FindingSpec:
    """One row of the rule table (``safety_rules.json``)."""

    code: str
    severity: str  # no_go | review | info
    rule: str  # stable id, e.g. "S05"
    source: str  # short citation, e.g. "SIR 2019, laboratory values"
    text_fr: str
    text_en: str
    when: str  # what triggers it (English, for the documentation)


RULES_FILE = Path(__file__).with_name("safety_rules.json")
_SEVERITIES = ("no_go", "review", "info")


def _spec(row: dict[str, Any], severity: str, text: dict[str, str]) -> FindingSpec:
    return FindingSpec(
        row["code"], severity, row["rule"], row["source"], text["fr"], text["en"], row["when"]
    )


def _load() -> tuple[dict[str, Any], dict[str, FindingSpec]]:
    data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    specs: dict[str, FindingSpec] = {}
    for row in data["rules"]:
        if row["severity"] not in _SEVERITIES or row["code"] in specs:  # pragma: no cover
            raise ValueError(f"safety_rules.json: bad row {row['code']!r}")
        specs[row["code"]] = _spec(row, row["severity"], row["text"])
    return data, specs


RULES_DATA, _SPECS = _load()
# In the order of the rule table of safety-check.md; this is also the order of findings.
FINDING_SPECS: Mapping[str, FindingSpec] = MappingProxyType(_SPECS)
# Procedures before which infection and skin lesion stop (cement or ablation in infected
# ground) and neutropenia is a review.
CEMENT_OR_ABLATION: frozenset[str] = frozenset(RULES_DATA["cement_or_ablation"])
# The no_go forms of the findings whose severity rises before cement or ablation.
STOP_BEFORE_CEMENT: Mapping[str, FindingSpec] = MappingProxyType(
    {
        row["code"]: _spec(
            row,
            row["severity_before_cement_or_ablation"],
            row["text_before_cement_or_ablation"],
        )
        for row in RULES_DATA["rules"]
        if "severity_before_cement_or_ablation" in row
    }
)
HEPARIN_CALCIUM_SOURCE: str = next(
    r["source_heparin_calcium"] for r in RULES_DATA["rules"] if r["code"] == "medication_hold"
)


def finding_text(code: str, lang: str = "fr") -> str:
    """The short explanation of a finding code (KeyError if the code is unknown)."""
    spec = FINDING_SPECS[code]
    return spec.text_en if lang == "en" else spec.text_fr
