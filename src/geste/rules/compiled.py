"""Centre settings compiled once for the safety check: timedeltas built, numbers made floats
(a database adapter may hand over Decimals, which timedelta refuses), missing hold keys filled
with the SIR defaults. Cached by settings object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from .settings import DEFAULT, DEFAULT_HOLDS, SafetySettings

__all__ = ["DEFAULT_COMPILED", "Compiled", "compiled", "elapsed"]


@dataclass(frozen=True, slots=True)
class _Hold:
    td: timedelta
    td_low: timedelta
    hours: float
    hours_low: float
    threshold: float | None


@dataclass(frozen=True, slots=True)
class Compiled:
    settings: SafetySettings
    disabled: frozenset[str]
    max_age: timedelta
    max_age_days: int
    plt_high: float
    plt_low: float
    inr_high: float
    inr_low: float
    aptt: float
    age_min: int
    age_max: int
    renal_below: float
    holds: dict[str, _Hold]


def _compile(s: SafetySettings) -> Compiled:
    holds: dict[str, _Hold] = {}
    # A key missing from a hand-built settings object falls back to the SIR default rather
    # than silently skipping the hold.
    # float(): a database adapter may hand over Decimals, which timedelta refuses.
    for key, rule in {**DEFAULT_HOLDS, **s.holds}.items():
        hours = float(rule.hours)
        low = hours if rule.hours_low_crcl is None else float(rule.hours_low_crcl)
        threshold = (
            None
            if rule.hours_low_crcl is None or rule.crcl_threshold is None
            else float(rule.crcl_threshold)
        )
        holds[key] = _Hold(timedelta(hours=hours), timedelta(hours=low), hours, low, threshold)
    return Compiled(
        s,
        frozenset(s.disabled_procedures),
        timedelta(days=int(s.hemostasis_max_age_days)),
        int(s.hemostasis_max_age_days),
        float(s.platelets_min_high_risk),
        float(s.platelets_min_low_risk),
        float(s.inr_max_high_risk),
        float(s.inr_max_low_risk),
        float(s.aptt_ratio_max),
        int(s.childbearing_age_min),
        int(s.childbearing_age_max),
        float(s.renal_review_crcl_below),
        holds,
    )


_CACHE: dict[int, Compiled] = {}
DEFAULT_COMPILED = _compile(DEFAULT)


def compiled(s: SafetySettings) -> Compiled:
    c = _CACHE.get(id(s))
    if c is None or c.settings is not s:
        if len(_CACHE) > 64:
            _CACHE.clear()
        c = _CACHE[id(s)] = _compile(s)
    return c


def elapsed(later: datetime, earlier: datetime) -> timedelta:
    """Absolute time between two aware datetimes.

    Python subtracts the wall clocks when both share one tzinfo object; that is exact for
    fixed offsets (what ``parse_case`` builds) but wrong across a DST change for a zone such as
    ZoneInfo("Europe/Paris") (what the database adapter may build): convert those to UTC.
    """
    tz = later.tzinfo
    if tz is earlier.tzinfo and type(tz) is not timezone:
        return later.astimezone(UTC) - earlier.astimezone(UTC)
    return later - earlier
