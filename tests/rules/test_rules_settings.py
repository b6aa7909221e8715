"""SafetySettings: SIR 2019 defaults, JSON round trip, validation of a centre's values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from geste.rules.settings import DEFAULT, HOLD_KEYS, HoldRule, SafetySettings, SettingsError


def test_defaults_are_sir_2019() -> None:
    s = SafetySettings()
    assert s.profile == "sir2019"
    assert s.disabled_procedures == frozenset({"foraminal_infiltration"})
    assert (s.hemostasis_max_age_days, s.platelets_min_high_risk, s.platelets_min_low_risk) == (
        30,
        50.0,
        20.0,
    )
    # revision 2: low-risk INR limit 3.0 (SIR 2019 "correct to within 2.0-3.0")
    assert (s.inr_max_high_risk, s.inr_max_low_risk, s.aptt_ratio_max) == (1.5, 3.0, 1.2)
    assert (s.childbearing_age_min, s.childbearing_age_max) == (12, 50)
    assert s.renal_review_crcl_below == 15.0
    assert dict(s.holds) == {
        "warfarin": HoldRule(120),
        "acenocoumarol": HoldRule(72),
        "heparin": HoldRule(6),
        "heparin_calcium_prophylactic": HoldRule(6),  # ASRA 2018, revision 2
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
    assert tuple(s.holds) == HOLD_KEYS


def test_hold_rule_interval() -> None:
    rule = HoldRule(48, 72, 50)
    assert (rule.interval_hours(50), rule.interval_hours(49.9), rule.interval_hours(None)) == (
        48,
        72,
        72,
    )
    assert HoldRule(6).interval_hours(None) == 6


def test_round_trip_through_json() -> None:
    d = json.loads(json.dumps(DEFAULT.to_dict()))
    assert SafetySettings.from_dict(d) == DEFAULT
    assert SafetySettings.from_dict({}) == DEFAULT


def test_partial_dict_overrides() -> None:
    s = SafetySettings.from_dict(
        {
            "disabled_procedures": [],
            "inr_max_high_risk": 1.4,
            "holds": {"apixaban": {"hours": 72, "hours_low_crcl": 96, "crcl_threshold": 50}},
        }
    )
    assert s.disabled_procedures == frozenset()
    assert s.inr_max_high_risk == 1.4
    assert s.holds["apixaban"] == HoldRule(72, 96, 50)
    assert s.holds["warfarin"] == HoldRule(120)
    s = SafetySettings.from_dict(
        {
            "renal_review_crcl_below": 20,
            "holds": {"heparin_calcium_therapeutic": {"hours": 12}},
        }
    )
    assert s.renal_review_crcl_below == 20.0
    assert s.holds["heparin_calcium_therapeutic"] == HoldRule(12)
    assert s.holds["heparin_calcium_prophylactic"] == HoldRule(6)


@pytest.mark.parametrize(
    ("d", "field"),
    [
        ({"colour": 1}, "colour"),
        ({"profile": ""}, "profile"),
        ({"disabled_procedures": "foraminal_infiltration"}, "disabled_procedures"),
        ({"disabled_procedures": ["knee"]}, "disabled_procedures[0]"),
        ({"hemostasis_max_age_days": 0}, "hemostasis_max_age_days"),
        ({"hemostasis_max_age_days": 366}, "hemostasis_max_age_days"),
        ({"hemostasis_max_age_days": 30.5}, "hemostasis_max_age_days"),
        ({"platelets_min_high_risk": 501}, "platelets_min_high_risk"),
        ({"platelets_min_low_risk": -1}, "platelets_min_low_risk"),
        ({"platelets_min_low_risk": 60}, "platelets_min_low_risk"),
        ({"inr_max_high_risk": 0.9}, "inr_max_high_risk"),
        ({"inr_max_low_risk": 5.1}, "inr_max_low_risk"),
        ({"inr_max_high_risk": 3.5}, "inr_max_high_risk"),
        ({"inr_max_high_risk": 2.5, "inr_max_low_risk": 2.0}, "inr_max_high_risk"),
        ({"renal_review_crcl_below": -1}, "renal_review_crcl_below"),
        ({"renal_review_crcl_below": 301}, "renal_review_crcl_below"),
        ({"renal_review_crcl_below": "15"}, "renal_review_crcl_below"),
        ({"holds": {"heparin calcium": {"hours": 6}}}, "holds.heparin calcium"),
        ({"aptt_ratio_max": 3.5}, "aptt_ratio_max"),
        ({"aptt_ratio_max": True}, "aptt_ratio_max"),
        ({"childbearing_age_min": 121}, "childbearing_age_min"),
        ({"childbearing_age_min": 40, "childbearing_age_max": 30}, "childbearing_age_min"),
        ({"holds": []}, "holds"),
        ({"holds": {"aspirin": {"hours": 72}}}, "holds.aspirin"),
        ({"holds": {"apixaban": {"hours": -1}}}, "holds.apixaban.hours"),
        (
            {"holds": {"apixaban": {"hours": 48, "hours_low_crcl": -5, "crcl_threshold": 50}}},
            "holds.apixaban.hours_low_crcl",
        ),
        ({"holds": {"apixaban": {"hours": 48, "hours_low_crcl": 72}}}, "holds.apixaban"),
        ({"holds": {"apixaban": {"hours": 48, "days": 2}}}, "holds.apixaban.days"),
        ({"holds": {"apixaban": {}}}, "holds.apixaban.hours"),
        ({"holds": {"apixaban": 48}}, "holds.apixaban"),
    ],
)
def test_invalid_settings_are_refused(d: dict[str, Any], field: str) -> None:
    with pytest.raises(SettingsError) as err:
        SafetySettings.from_dict(d)
    assert err.value.field == field
    assert err.value.message
