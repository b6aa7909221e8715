"""Conditions of policy rules: a small JSON language, validated, then compiled once into
Python closures (no interpretation per case)::

    {"all": [CONDITION, ...]}    {"any": [CONDITION, ...]}    {"not": CONDITION}
    {"field": NAME, OP: VALUE}   with OP one of eq, ne, in, not_in, gt, ge, lt, le

NAME is a case field (``severe_pain``, ``level3_analgesics``, ``patient.age``, ...); VALUE is
type-checked against the field (``null`` only for nullable fields; ``gt``... only for numbers;
a null field value never satisfies ``gt``/``ge``/``lt``/``le``).

Clinical inputs (``severe_pain``, ``fever``... and ``level3_analgesics``) may be unknown in a
case; a condition reads an unknown one as ``false`` (``not_tried``), as the domain says, so it
cannot test for ``null``. ``clinicians_confirmed`` and ``patient.pregnant`` are tri-state: null
is a value of its own ("not yet answered").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from types import MappingProxyType
from typing import Any

from .case import ALLERGIES, LEVEL3_ANALGESICS, PROCEDURES, REGIONS, SEXES, Case

__all__ = [
    "CONDITION_FIELDS",
    "OPERATORS",
    "PolicyError",
    "Predicate",
    "compile_condition",
    "condition_fields",
    "unknown_reading",
]

Predicate = Callable[[Case], bool]


class PolicyError(ValueError):
    """A policy refused; ``field`` names the place, e.g. ``rules[3].when.any[0].field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    @property
    def place(self) -> str:
        return self.field


_KNOWN = object()  # unknown_as of a field that is never unknown, or whose null is a value


@dataclass(frozen=True, slots=True)
class _FieldType:
    kind: str  # bool | int | number | enum
    nullable: bool = False
    values: tuple[str, ...] = ()
    unknown_as: object = _KNOWN  # what a condition reads for an unknown (null) input


_BOOL = _FieldType("bool")
_CLINICAL = _FieldType("bool", unknown_as=False)
CONDITION_FIELDS: Mapping[str, _FieldType] = MappingProxyType(
    {
        "procedure": _FieldType("enum", values=PROCEDURES),
        "region": _FieldType("enum", values=REGIONS),
        "patient.age": _FieldType("int"),
        "patient.sex": _FieldType("enum", values=SEXES),
        "patient.pregnant": _FieldType("bool", nullable=True),
        "patient.creatinine_clearance_ml_min": _FieldType("number", nullable=True),
        "indication_validated": _BOOL,
        "severe_pain": _CLINICAL,
        "pain_nrs": _FieldType("int", nullable=True),
        "level3_analgesics": _FieldType("enum", values=LEVEL3_ANALGESICS, unknown_as="not_tried"),
        "fever": _CLINICAL,
        "respiratory_signs": _CLINICAL,
        "neutropenia": _CLINICAL,
        "current_infection": _CLINICAL,
        "skin_lesion_at_site": _CLINICAL,
        "acute_arthritis": _CLINICAL,
        "crystal_arthritis": _CLINICAL,
        "threatening_lesion": _CLINICAL,
        "local_tumor_control_needed": _CLINICAL,
        "bedrest_decline_risk": _CLINICAL,
        "urgent_diagnosis_needed": _CLINICAL,
        "intrathecal_chemotherapy": _CLINICAL,
        "clinicians_confirmed": _FieldType("bool", nullable=True),
        "lesion_count": _FieldType("int"),
    }
)
# Allergies are a list; a condition on them would need a "contains" operator: not needed yet.
assert "allergies" not in CONDITION_FIELDS and ALLERGIES

OPERATORS = ("eq", "ne", "in", "not_in", "gt", "ge", "lt", "le")


def _check_value(ft: _FieldType, v: object, place: str) -> None:
    if v is None:
        if not ft.nullable:
            raise PolicyError(place, "null is not a possible value of this field")
        return
    if ft.kind == "bool":
        ok = v is True or v is False
        expected = "true or false"
    elif ft.kind == "enum":
        ok = type(v) is str and v in ft.values
        expected = "one of " + ", ".join(ft.values)
    elif ft.kind == "int":
        ok = type(v) is int
        expected = "an integer"
    else:
        ok = type(v) in (int, float)
        expected = "a number"
    if not ok:
        raise PolicyError(place, f"must be {expected}" + (" or null" if ft.nullable else ""))


def _check_list(ft: _FieldType, value: object, place: str) -> None:
    if not isinstance(value, list) or not value:
        raise PolicyError(place, "must be a non-empty list")
    for i, item in enumerate(value):
        _check_value(ft, item, f"{place}[{i}]")


def _compile_field(node: dict[str, Any], place: str) -> Predicate:
    name = node["field"]
    if type(name) is not str or name not in CONDITION_FIELDS:
        raise PolicyError(
            place + ".field", f"unknown field {name!r} (known: {', '.join(CONDITION_FIELDS)})"
        )
    ft = CONDITION_FIELDS[name]
    ops = [k for k in node if k != "field"]
    for k in ops:
        if k not in OPERATORS:
            raise PolicyError(
                f"{place}.{k}", "unknown operator (known: " + ", ".join(OPERATORS) + ")"
            )
    if len(ops) != 1:
        raise PolicyError(place, "a field condition needs exactly one operator")
    op = ops[0]
    value = node[op]
    vplace = f"{place}.{op}"
    raw = attrgetter(name)
    get: Callable[[Any], Any] = raw
    if ft.unknown_as is not _KNOWN:
        unknown_as = ft.unknown_as
        if op == "eq" and value is True:
            return lambda c: raw(c) is True  # an unknown reads as false: not true
        if op == "in" and isinstance(value, list) and unknown_as not in value:
            # null is never in a valid list here, so the unknown is excluded as its reading is
            _check_list(ft, value, vplace)
            members = frozenset(value)
            return lambda c: raw(c) in members

        def get(c: Any) -> Any:
            v = raw(c)
            return unknown_as if v is None else v

    if op in ("in", "not_in"):
        _check_list(ft, value, vplace)
        if ft.kind == "bool":
            # True == 1 for Python sets: compare identities for booleans and null.
            items = tuple(value)
            if op == "in":
                return lambda c: any(get(c) is x for x in items)
            return lambda c: all(get(c) is not x for x in items)
        members = frozenset(value)
        if op == "in":
            return lambda c: get(c) in members
        return lambda c: get(c) not in members
    if op in ("gt", "ge", "lt", "le"):
        if ft.kind not in ("int", "number"):
            raise PolicyError(vplace, f"{op} needs a numeric field")
        if type(value) not in (int, float):
            raise PolicyError(vplace, "must be a number")
        x = value
        if op == "gt":
            return lambda c: (v := get(c)) is not None and v > x
        if op == "ge":
            return lambda c: (v := get(c)) is not None and v >= x
        if op == "lt":
            return lambda c: (v := get(c)) is not None and v < x
        return lambda c: (v := get(c)) is not None and v <= x
    _check_value(ft, value, vplace)
    if value is None or value is True or value is False:
        if op == "eq":
            return lambda c: get(c) is value
        return lambda c: get(c) is not value
    if op == "eq":
        return lambda c: get(c) == value
    return lambda c: get(c) != value


def compile_condition(node: object, place: str) -> Predicate:
    if not isinstance(node, dict) or not node:
        raise PolicyError(place, "must be a condition object (all, any, not or field)")
    for combinator in ("all", "any", "not"):
        if combinator in node:
            if len(node) != 1:
                extra = next(k for k in node if k != combinator)
                raise PolicyError(f"{place}.{extra}", f"unexpected key beside {combinator!r}")
            sub = node[combinator]
            if combinator == "not":
                inner = compile_condition(sub, f"{place}.not")
                return lambda c: not inner(c)
            if not isinstance(sub, list) or not sub:
                raise PolicyError(f"{place}.{combinator}", "must be a non-empty list of conditions")
            preds = tuple(
                compile_condition(s, f"{place}.{combinator}[{i}]") for i, s in enumerate(sub)
            )
            if len(preds) == 1:
                return preds[0]
            if combinator == "all":
                if len(preds) == 2:
                    a, b = preds
                    return lambda c: a(c) and b(c)
                return lambda c: all(p(c) for p in preds)
            if len(preds) == 2:
                a, b = preds
                return lambda c: a(c) or b(c)
            if len(preds) == 3:
                a, b, d = preds
                return lambda c: a(c) or b(c) or d(c)
            return lambda c: any(p(c) for p in preds)
    if "field" in node:
        return _compile_field(node, place)
    first = next(iter(node))
    raise PolicyError(f"{place}.{first}", "unknown key (expected all, any, not or field)")


def condition_fields(node: object) -> set[str]:
    """The case fields a (valid) condition reads."""
    if isinstance(node, dict):
        if "field" in node:
            return {node["field"]}
        out: set[str] = set()
        for key in ("all", "any"):
            for sub in node.get(key, ()):
                out |= condition_fields(sub)
        if "not" in node:
            out |= condition_fields(node["not"])
        return out
    return set()


def unknown_reading(name: str) -> tuple[bool, tuple[object, ...]]:
    """Whether a condition field is a clinical input that may be unknown, and its possible
    values (tried one by one to find the missing inputs of a decision)."""
    ft = CONDITION_FIELDS[name]
    if ft.unknown_as is _KNOWN:
        return False, ()
    if ft.kind == "bool":
        return True, (False, True)
    return True, ft.values
