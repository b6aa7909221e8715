"""Reads of the centre's reference data."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from geste import PARIS
from geste.clinic.models import CentreSettings, Procedure
from geste.rules.settings import HoldRule, SafetySettings


def safety_settings() -> SafetySettings:
    """The rules engine's settings from the centre's database row (two queries): every
    threshold and interval of docs/domain/safety-check.md (revision 2). A hold row whose key
    the engine does not know is refused by the model's choices; missing rows keep the
    engine's default."""
    centre = CentreSettings.current()
    holds = {
        h.drug: HoldRule(
            hours=h.hours, hours_low_crcl=h.hours_low_crcl, crcl_threshold=h.crcl_threshold
        )
        for h in centre.holds.all()
    }
    disabled = frozenset(Procedure.objects.filter(enabled=False).values_list("code", flat=True))
    defaults = SafetySettings()
    return SafetySettings(
        profile=centre.profile,
        disabled_procedures=disabled,
        hemostasis_max_age_days=centre.hemostasis_max_age_days,
        platelets_min_high_risk=centre.platelets_min_high_risk,
        platelets_min_low_risk=centre.platelets_min_low_risk,
        inr_max_high_risk=centre.inr_max_high_risk,
        inr_max_low_risk=centre.inr_max_low_risk,
        aptt_ratio_max=centre.aptt_ratio_max,
        childbearing_age_min=centre.childbearing_age_min,
        childbearing_age_max=centre.childbearing_age_max,
        renal_review_crcl_below=centre.renal_review_crcl_below,
        holds={**defaults.holds, **holds},
    )


def procedures(*, enabled_only: bool = False) -> list[Procedure]:
    qs = Procedure.objects.all()
    if enabled_only:
        qs = qs.filter(enabled=True)
    return list(qs)


@lru_cache(maxsize=64)
def site_zone(name: str | None) -> ZoneInfo:
    """The time zone a site's `time_zone` names; the centre's default (Europe/Paris) when it
    is empty or unknown (the model validates it: an unknown name is a stale row). Local days,
    opening hours and displayed times of a site's rooms are read in this zone."""
    if not name:
        return PARIS
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return PARIS


def crisis_policy_id() -> str:
    """The id of the crisis policy in force, or "" outside a crisis."""
    return CentreSettings.current().crisis_policy_id
