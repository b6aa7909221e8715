"""Centre settings of the safety check (default profile ``sir2019``).

Every threshold and interval of ``docs/domain/safety-check.md`` is a setting with the SIR 2019
default (Patel et al., J Vasc Interv Radiol 2019;30(8):1168-84). A centre's database settings
are converted to ``SafetySettings`` (``from_dict``), which validates them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .case import PROCEDURES

__all__ = ["DEFAULT", "DEFAULT_HOLDS", "HOLD_KEYS", "HoldRule", "SafetySettings", "SettingsError"]


class SettingsError(ValueError):
    """Settings refused; ``field`` is a dotted path such as ``holds.apixaban.hours``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class HoldRule:
    """Minimum time between the last dose and the procedure (high bleeding risk only)."""

    hours: float  # interval when no CrCl threshold, or CrCl >= threshold
    hours_low_crcl: float | None = None  # interval when CrCl < threshold OR CrCl unknown
    crcl_threshold: float | None = None  # creatinine clearance threshold, mL/min

    def interval_hours(self, crcl: float | None) -> float:
        """The interval for a creatinine clearance (unknown CrCl: the longer interval)."""
        if self.crcl_threshold is None or self.hours_low_crcl is None:
            return self.hours
        if crcl is None or crcl < self.crcl_threshold:
            return self.hours_low_crcl
        return self.hours


# SIR 2019 hold intervals (ASRA 2018 for subcutaneous calcium heparin). Keys are INNs, except
# the low-molecular-weight heparins (enoxaparin, dalteparin, tinzaparin, nadroparin) and
# subcutaneous calcium heparin, which map to *_prophylactic / *_therapeutic by dose (dose
# unknown: the therapeutic, longer, interval).
DEFAULT_HOLDS: Mapping[str, HoldRule] = MappingProxyType(
    {
        "warfarin": HoldRule(120),
        "acenocoumarol": HoldRule(72),
        "heparin": HoldRule(6),
        "heparin_calcium_prophylactic": HoldRule(6),
        "heparin_calcium_therapeutic": HoldRule(24),
        "lmwh_prophylactic": HoldRule(12),
        "lmwh_therapeutic": HoldRule(24),
        "fondaparinux": HoldRule(72, 120, 50),
        "apixaban": HoldRule(48, 72, 50),
        "rivaroxaban": HoldRule(48, 72, 30),
        "dabigatran": HoldRule(48, 96, 50),
        "edoxaban": HoldRule(48),
        "clopidogrel": HoldRule(120),
        "ticagrelor": HoldRule(120),
        "prasugrel": HoldRule(168),
    }
)
HOLD_KEYS: tuple[str, ...] = tuple(DEFAULT_HOLDS)


def _default_holds() -> Mapping[str, HoldRule]:
    return DEFAULT_HOLDS


@dataclass(frozen=True, slots=True)
class SafetySettings:
    profile: str = "sir2019"
    disabled_procedures: frozenset[str] = frozenset({"foraminal_infiltration"})
    hemostasis_max_age_days: int = 30
    platelets_min_high_risk: float = 50.0
    platelets_min_low_risk: float = 20.0
    inr_max_high_risk: float = 1.5
    inr_max_low_risk: float = 3.0
    aptt_ratio_max: float = 1.2
    childbearing_age_min: int = 12
    childbearing_age_max: int = 50
    # renal_review below this creatinine clearance (mL/min), renally cleared anticoagulants.
    renal_review_crcl_below: float = 15.0
    # Not hashable (a mapping): excluded from the generated __hash__.
    holds: Mapping[str, HoldRule] = field(default_factory=_default_holds, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``from_dict`` accepts it back)."""
        return {
            "profile": self.profile,
            "disabled_procedures": sorted(self.disabled_procedures),
            "hemostasis_max_age_days": self.hemostasis_max_age_days,
            "platelets_min_high_risk": self.platelets_min_high_risk,
            "platelets_min_low_risk": self.platelets_min_low_risk,
            "inr_max_high_risk": self.inr_max_high_risk,
            "inr_max_low_risk": self.inr_max_low_risk,
            "aptt_ratio_max": self.aptt_ratio_max,
            "childbearing_age_min": self.childbearing_age_min,
            "childbearing_age_max": self.childbearing_age_max,
            "renal_review_crcl_below": self.renal_review_crcl_below,
            "holds": {
                key: {
                    "hours": rule.hours,
                    "hours_low_crcl": rule.hours_low_crcl,
                    "crcl_threshold": rule.crcl_threshold,
                }
                for key, rule in self.holds.items()
            },
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SafetySettings:
        """Validated settings from a JSON-able dict. Missing keys take the default; ``holds``
        entries override the default entry of the same key (the others are kept)."""
        return _from_dict(d)


DEFAULT = SafetySettings()

_MAX_HOLD_HOURS = 24 * 365  # a sanity bound, not a clinical value


def _num(d: Mapping[str, Any], key: str, lo: float, hi: float, default: float) -> float:
    v = d.get(key, default)
    if type(v) not in (int, float) or not math.isfinite(v) or not lo <= v <= hi:
        raise SettingsError(key, f"must be a number between {lo:g} and {hi:g}")
    return float(v)


def _int(d: Mapping[str, Any], key: str, lo: int, hi: int, default: int) -> int:
    v = d.get(key, default)
    if type(v) is not int or not lo <= v <= hi:
        raise SettingsError(key, f"must be an integer between {lo} and {hi}")
    return v


def _hold(key: str, v: object) -> HoldRule:
    path = f"holds.{key}"
    if key not in DEFAULT_HOLDS:
        raise SettingsError(path, "unknown hold key (known: " + ", ".join(HOLD_KEYS) + ")")
    if isinstance(v, HoldRule):
        v = {
            "hours": v.hours,
            "hours_low_crcl": v.hours_low_crcl,
            "crcl_threshold": v.crcl_threshold,
        }
    if not isinstance(v, Mapping):
        raise SettingsError(path, "must be an object")
    for k in v:
        if k not in ("hours", "hours_low_crcl", "crcl_threshold"):
            raise SettingsError(f"{path}.{k}", "unknown field")
    values: list[float | None] = []
    for k, lo, hi in (
        ("hours", 0, _MAX_HOLD_HOURS),
        ("hours_low_crcl", 0, _MAX_HOLD_HOURS),
        ("crcl_threshold", 0, 300),
    ):
        x: Any = v.get(k)
        if x is None and k != "hours":
            values.append(None)
            continue
        if type(x) not in (int, float) or not math.isfinite(x) or not lo <= x <= hi:
            what = "an interval in hours" if k != "crcl_threshold" else "a clearance in mL/min"
            raise SettingsError(f"{path}.{k}", f"must be {what} between {lo} and {hi}")
        values.append(float(x))
    hours, low, threshold = values
    if (low is None) != (threshold is None):
        raise SettingsError(path, "hours_low_crcl and crcl_threshold go together")
    assert hours is not None
    return HoldRule(hours, low, threshold)


def _from_dict(d: Mapping[str, Any]) -> SafetySettings:
    if not isinstance(d, Mapping):
        raise SettingsError("settings", "must be an object")
    known = set(SafetySettings.__dataclass_fields__)
    for k in d:
        if k not in known:
            raise SettingsError(str(k), "unknown setting")
    profile = d.get("profile", "sir2019")
    if type(profile) is not str or not 1 <= len(profile) <= 64:
        raise SettingsError("profile", "must be a string of 1 to 64 characters")
    disabled = d.get("disabled_procedures", ["foraminal_infiltration"])
    if not isinstance(disabled, list | tuple | set | frozenset):
        raise SettingsError("disabled_procedures", "must be a list of procedure codes")
    for i, p in enumerate(disabled):
        if p not in PROCEDURES:
            raise SettingsError(f"disabled_procedures[{i}]", f"unknown procedure {p!r}")
    max_age = _int(d, "hemostasis_max_age_days", 1, 365, 30)
    plt_high = _num(d, "platelets_min_high_risk", 0, 500, 50.0)
    plt_low = _num(d, "platelets_min_low_risk", 0, 500, 20.0)
    if plt_low > plt_high:
        raise SettingsError("platelets_min_low_risk", "must not exceed platelets_min_high_risk")
    inr_high = _num(d, "inr_max_high_risk", 1.0, 5.0, 1.5)
    inr_low = _num(d, "inr_max_low_risk", 1.0, 5.0, 3.0)
    if inr_high > inr_low:
        raise SettingsError("inr_max_high_risk", "must not exceed inr_max_low_risk")
    aptt = _num(d, "aptt_ratio_max", 1.0, 3.0, 1.2)
    age_min = _int(d, "childbearing_age_min", 0, 120, 12)
    age_max = _int(d, "childbearing_age_max", 0, 120, 50)
    if age_min > age_max:
        raise SettingsError("childbearing_age_min", "must not exceed childbearing_age_max")
    renal = _num(d, "renal_review_crcl_below", 0, 300, 15.0)
    holds_in = d.get("holds", {})
    if not isinstance(holds_in, Mapping):
        raise SettingsError("holds", "must be an object")
    holds = dict(DEFAULT_HOLDS)
    for key, v in holds_in.items():
        holds[str(key)] = _hold(str(key), v)
    return SafetySettings(
        profile=profile,
        disabled_procedures=frozenset(disabled),
        hemostasis_max_age_days=max_age,
        platelets_min_high_risk=plt_high,
        platelets_min_low_risk=plt_low,
        inr_max_high_risk=inr_high,
        inr_max_low_risk=inr_low,
        aptt_ratio_max=aptt,
        childbearing_age_min=age_min,
        childbearing_age_max=age_max,
        renal_review_crcl_below=renal,
        holds=MappingProxyType(holds),
    )
