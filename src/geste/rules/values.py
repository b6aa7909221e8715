"""Validators of JSON values shared by the case parser: each names the field it refuses.

Choices where the schema leaves room:
- an integer field accepts a JSON number with a zero fractional part (``58.0``), as JSON Schema
  does; ``true``/``false`` are never numbers;
- numbers must be finite (``NaN``/``Infinity`` are not JSON, but Python's parser accepts them);
- date-times are RFC 3339 / ISO 8601 with an offset: ``YYYY-MM-DDTHH:MM[:SS[.fraction]]`` then
  ``Z`` or ``+HH:MM``/``-HH:MM`` (``T`` may be a space; digits beyond microseconds are
  truncated); a date-time without offset is refused, and so is a year outside 1900-2100
  (dates too);
- strings echoed in the output (id, drug) must be valid Unicode (no lone surrogate).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

__all__ = [
    "CaseError",
    "check_keys",
    "enum_message",
    "enum_of",
    "int_in",
    "number_in",
    "opt_bool",
    "parse_date",
    "parse_datetime",
    "text_of",
]


class CaseError(ValueError):
    """A case refused by the schema; ``field`` is a dotted path such as ``patient.age``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


_DATETIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?",
    re.ASCII,
)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATETIME_HELP = "must be an ISO 8601 date-time with an offset, e.g. 2026-03-10T09:00:00+01:00"


YEAR_MIN = 1900
YEAR_MAX = 2100
_YEARS = f"a year between {YEAR_MIN} and {YEAR_MAX}"


def _in_years(dt: datetime, field: str) -> datetime:
    # The contract's range; it also keeps every later UTC conversion and addition of a hold
    # interval far from datetime's limits (year 1 or 9999 would overflow).
    if YEAR_MIN <= dt.year <= YEAR_MAX:
        return dt
    raise CaseError(field, f"date-time out of range: needs {_YEARS}")


def parse_datetime(value: object, field: str) -> datetime:
    """An ISO 8601 date-time with an offset (aware), in years 1900-2100; naive ones are
    refused."""
    if type(value) is not str:
        raise CaseError(field, _DATETIME_HELP)
    # Fast path for the canonical shapes 2026-03-10T09:00:00+01:00 and ...09:00:00Z; the
    # digits are checked by fromisoformat (ASCII only).
    n = len(value)
    if (
        ((n == 25 and value[22] == ":" and value[19] in "+-") or (n == 20 and value[19] == "Z"))
        and value[10] == "T"
        and value[4] == value[7] == "-"
        and value[13] == value[16] == ":"
    ):
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            pass  # the slow path below names the problem
        else:
            return _in_years(dt, field)
    m = _DATETIME_RE.fullmatch(value)
    if m is None:
        raise CaseError(field, _DATETIME_HELP)
    if m.group("offset") is None:
        raise CaseError(field, "date-time without a UTC offset (add Z or +01:00, for example)")
    text = value
    if text[-1] == "z":
        text = text[:-1] + "Z"
    if text[10] == "t":
        text = text[:10] + "T" + text[11:]
    frac = text.find(".", 19)
    if frac != -1:
        # Python keeps microseconds: truncate nanoseconds rather than refuse them.
        end = frac + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        if end - frac - 1 > 6:
            text = text[: frac + 7] + text[end:]
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CaseError(field, f"invalid date-time ({exc})") from None
    return _in_years(dt, field)


def parse_date(value: object, field: str) -> date:
    """A calendar date ``YYYY-MM-DD``."""
    if type(value) is not str or _DATE_RE.fullmatch(value) is None:
        raise CaseError(field, "must be a date YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise CaseError(field, f"invalid date ({exc})") from None
    if not YEAR_MIN <= day.year <= YEAR_MAX:
        raise CaseError(field, f"date out of range: needs {_YEARS}")
    return day


def text_of(v: object, field: str, max_len: int) -> str:
    """A string of 1 to max_len characters that is valid Unicode: JSON lets a lone surrogate
    through (``"\\ud800"``), which no UTF-8 output can write back."""
    if type(v) is str and 1 <= len(v) <= max_len:
        if v.isascii():
            return v
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise CaseError(field, "must be valid Unicode text (no lone surrogate)") from None
        return v
    raise CaseError(field, f"must be a string of 1 to {max_len} characters")


def enum_message(values: tuple[str, ...], *, nullable: bool) -> str:
    text = "must be one of: " + ", ".join(values)
    return text + ", or null" if nullable else text


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def opt_bool(obj: dict[str, Any], key: str, path: str) -> bool | None:
    v = obj.get(key)
    if v is None or v is True or v is False:
        return v
    raise CaseError(path + key, "must be true, false or null")


def int_in(v: object, field: str, lo: int, hi: int, *, nullable: bool = False) -> int:
    if type(v) is int:
        if lo <= v <= hi:
            return v
    elif type(v) is float and math.isfinite(v) and v.is_integer() and lo <= v <= hi:
        return int(v)
    tail = ", or null" if nullable else ""
    raise CaseError(field, f"must be an integer between {lo} and {hi}{tail}")


def number_in(v: object, field: str, lo: float, hi: float) -> float | None:
    """A nullable JSON number (int or float, never bool, finite) within [lo, hi]."""
    if type(v) is int or type(v) is float:
        f = float(v)
        if math.isfinite(f) and lo <= f <= hi:
            return f
    elif v is None:
        return None
    raise CaseError(field, f"must be a number between {_fmt(lo)} and {_fmt(hi)}, or null")


def enum_of(v: object, field: str, allowed: frozenset[str], values: tuple[str, ...]) -> str:
    if type(v) is str and v in allowed:
        return v
    raise CaseError(field, enum_message(values, nullable=False))


def check_keys(obj: dict[str, Any], allowed: frozenset[str], path: str) -> None:
    if allowed.issuperset(obj):  # the usual case, checked in C
        return
    for k in obj:
        if k not in allowed:
            raise CaseError(f"{path}{k}", "unknown field")
