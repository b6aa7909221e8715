"""Crisis triage policies stored as data (``policies/<id>.json``), validated and compiled.

A policy file::

    {"id", "version", "title": {"fr", "en"}, "source": {"seed"?, "citation", "url"?},
     "parameters": {"defer_review_days", "contraindicated_review_days"},
     "rules": [{"id", "priority", "procedures": [codes] | "all", "source_section",
                "when"?: CONDITION, "decision": D | "effect": E, "text": {"fr", "en"}}]}

Decisions D: maintain, defer, discuss, contraindicated. Effects E: group_lesions.
A rule without ``when`` always matches (an "otherwise" branch). For each procedure, decision
rules are tried by ascending ``priority`` (file order breaks ties) and the first match decides;
every procedure must have a decision rule without ``when``, so every case gets a decision.
Effect rules apply independently of the decision.

CONDITION: a small JSON language, see ``conditions.py``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .case import PROCEDURES, Case
from .conditions import (
    CONDITION_FIELDS,
    PolicyError,
    Predicate,
    compile_condition,
    condition_fields,
    unknown_reading,
)

__all__ = [
    "CONDITION_FIELDS",
    "DECISIONS",
    "EFFECTS",
    "Policy",
    "PolicyError",
    "PolicyRule",
    "available_policies",
    "load_policy",
    "parse_policy",
]

DECISIONS: tuple[str, ...] = ("maintain", "defer", "discuss", "contraindicated")
EFFECTS: tuple[str, ...] = ("group_lesions",)
POLICY_DIR = Path(__file__).resolve().parent / "policies"


@dataclass(frozen=True, slots=True)
class RuleText:
    """What a rule says, for explaining a decision."""

    rule_id: str
    fr: str
    en: str
    source_section: str

    def text(self, lang: str = "fr") -> str:
        return self.en if lang == "en" else self.fr


@dataclass(frozen=True, slots=True)
class PolicyRule:
    id: str
    priority: int
    procedures: tuple[str, ...]
    source_section: str
    when: Any  # the condition as written (JSON), None = always
    decision: str | None
    effect: str | None
    text_fr: str
    text_en: str
    predicate: Predicate = field(compare=False, repr=False)
    explain: RuleText = field(compare=False, repr=False)

    def text(self, lang: str = "fr") -> str:
        return self.text_en if lang == "en" else self.text_fr


@dataclass(frozen=True, slots=True)
class _Step:
    """A decision rule ready to run."""

    predicate: Predicate | None
    decision: str
    review: timedelta | None
    rule_ids: tuple[str, ...]
    texts: tuple[RuleText, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    id: str
    version: str
    title_fr: str
    title_en: str
    source_seed: str | None
    source_citation: str
    parameters: Mapping[str, int]
    rules: tuple[PolicyRule, ...]
    # procedure -> (decision steps in order, effect rules in order)
    plan: Mapping[str, tuple[tuple[_Step, ...], tuple[PolicyRule, ...]]] = field(
        compare=False, repr=False
    )
    # procedure -> the fields its decision rules read (schema order), and among them the
    # clinical inputs that may be unknown, with the values to try (missing_inputs)
    reads: Mapping[str, tuple[str, ...]] = field(compare=False, repr=False, default_factory=dict)
    inputs: Mapping[str, tuple[tuple[str, tuple[object, ...]], ...]] = field(
        compare=False, repr=False, default_factory=dict
    )
    # procedure -> one C-level getter of the values its decision rules read (a tuple)
    readers: Mapping[str, Any] = field(compare=False, repr=False, default_factory=dict)
    # missing_inputs already found, by procedure and values read (filled by triage.py)
    memo: dict[tuple[Any, ...], tuple[str, ...]] = field(
        compare=False, repr=False, default_factory=dict
    )

    def rule(self, rule_id: str) -> PolicyRule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def title(self, lang: str = "fr") -> str:
        return self.title_en if lang == "en" else self.title_fr


# ------------------------------------------------------------------------- validation


def _obj(
    v: object, place: str, allowed: tuple[str, ...], required: tuple[str, ...]
) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise PolicyError(place, "must be an object")
    for k in v:
        if k not in allowed:
            raise PolicyError(f"{place}.{k}" if place else str(k), "unknown key")
    for k in required:
        if k not in v:
            raise PolicyError(f"{place}.{k}" if place else k, "required key missing")
    return v


def _str(v: object, place: str, max_len: int = 2000) -> str:
    if type(v) is not str or not v.strip() or len(v) > max_len:
        raise PolicyError(place, f"must be a non-empty string (at most {max_len} characters)")
    return v


def _texts(v: object, place: str) -> tuple[str, str]:
    d = _obj(v, place, ("fr", "en"), ("fr", "en"))
    return _str(d["fr"], place + ".fr"), _str(d["en"], place + ".en")


def _always(_: Case) -> bool:
    return True


_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_RULE_KEYS = (
    "id",
    "priority",
    "procedures",
    "source_section",
    "when",
    "decision",
    "effect",
    "text",
)


def _parse_rule(v: object, place: str) -> PolicyRule:
    d = _obj(v, place, _RULE_KEYS, ("id", "priority", "procedures", "source_section", "text"))
    rid = d["id"]
    if type(rid) is not str or not _ID_RE.fullmatch(rid):
        raise PolicyError(place + ".id", "must be an identifier (letters, digits, . _ -)")
    prio = d["priority"]
    if type(prio) is not int or not 0 <= prio <= 10_000:
        raise PolicyError(place + ".priority", "must be an integer between 0 and 10000")
    procs = d["procedures"]
    if procs == "all":
        procedures = PROCEDURES
    else:
        if not isinstance(procs, list) or not procs:
            raise PolicyError(place + ".procedures", 'must be a non-empty list of codes or "all"')
        for i, p in enumerate(procs):
            if p not in PROCEDURES:
                raise PolicyError(f"{place}.procedures[{i}]", f"unknown procedure {p!r}")
            if p in procs[:i]:
                raise PolicyError(f"{place}.procedures[{i}]", f"duplicate procedure {p!r}")
        procedures = tuple(procs)
    section = _str(d["source_section"], place + ".source_section")
    has_decision, has_effect = "decision" in d, "effect" in d
    if has_decision == has_effect:
        raise PolicyError(place, "needs exactly one of 'decision' or 'effect'")
    decision = effect = None
    if has_decision:
        decision = d["decision"]
        if decision not in DECISIONS:
            raise PolicyError(
                place + ".decision",
                f"unknown decision {decision!r} (known: {', '.join(DECISIONS)})",
            )
    else:
        effect = d["effect"]
        if effect not in EFFECTS:
            raise PolicyError(
                place + ".effect", f"unknown effect {effect!r} (known: {', '.join(EFFECTS)})"
            )
    when = d.get("when")
    if "when" in d:
        predicate = compile_condition(when, place + ".when")
    else:
        if has_effect:
            raise PolicyError(place + ".when", "an effect rule needs a condition")
        predicate = _always
    fr, en = _texts(d["text"], place + ".text")
    return PolicyRule(
        rid,
        prio,
        procedures,
        section,
        when,
        decision,
        effect,
        fr,
        en,
        predicate,
        RuleText(rid, fr, en, section),
    )


def parse_policy(obj: object) -> Policy:
    """Validate and compile a policy given as decoded JSON."""
    d = _obj(
        obj,
        "",
        ("id", "version", "title", "source", "parameters", "rules"),
        ("id", "version", "title", "source", "parameters", "rules"),
    )
    pid = d["id"]
    if type(pid) is not str or not _ID_RE.fullmatch(pid):
        raise PolicyError("id", "must be an identifier (letters, digits, . _ -)")
    version = _str(d["version"], "version", 32)
    title_fr, title_en = _texts(d["title"], "title")
    src = _obj(d["source"], "source", ("seed", "citation", "url"), ("citation",))
    citation = _str(src["citation"], "source.citation")
    seed = _str(src["seed"], "source.seed", 200) if "seed" in src else None
    if "url" in src:
        _str(src["url"], "source.url", 500)
    names = ("defer_review_days", "contraindicated_review_days")
    params = _obj(d["parameters"], "parameters", names, names)
    for k in names:
        if type(params[k]) is not int or not 1 <= params[k] <= 365:
            raise PolicyError(f"parameters.{k}", "must be an integer between 1 and 365")
    raw_rules = d["rules"]
    if not isinstance(raw_rules, list) or not raw_rules:
        raise PolicyError("rules", "must be a non-empty list")
    rules: list[PolicyRule] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_rules):
        rule = _parse_rule(raw, f"rules[{i}]")
        if rule.id in seen:
            raise PolicyError(f"rules[{i}].id", f"duplicate rule id {rule.id!r}")
        seen.add(rule.id)
        rules.append(rule)
    review = {
        "defer": timedelta(days=params["defer_review_days"]),
        "contraindicated": timedelta(days=params["contraindicated_review_days"]),
    }
    order = sorted(range(len(rules)), key=lambda i: (rules[i].priority, i))
    plan: dict[str, tuple[tuple[_Step, ...], tuple[PolicyRule, ...]]] = {}
    reads: dict[str, tuple[str, ...]] = {}
    inputs: dict[str, tuple[tuple[str, tuple[object, ...]], ...]] = {}
    for proc in PROCEDURES:
        steps: list[_Step] = []
        effects: list[PolicyRule] = []
        closed = False
        for i in order:
            r = rules[i]
            if proc not in r.procedures:
                continue
            if r.effect is not None:
                effects.append(r)
            elif not closed and r.decision is not None:
                steps.append(
                    _Step(
                        None if r.predicate is _always else r.predicate,
                        r.decision,
                        review.get(r.decision),
                        (r.id,),
                        (r.explain,),
                    )
                )
                closed = r.predicate is _always  # later decision rules can never fire
        if not closed:
            raise PolicyError(
                "rules",
                f"procedure {proc} has no decision rule without 'when' "
                "(every case must end with a decision)",
            )
        plan[proc] = (tuple(steps), tuple(effects))
        read: set[str] = set()
        for i in order:
            r = rules[i]
            if proc in r.procedures and r.decision is not None:
                read |= condition_fields(r.when)
        reads[proc] = tuple(f for f in CONDITION_FIELDS if f in read)
        inputs[proc] = tuple(
            (f, values) for f in reads[proc] for unknown, values in (unknown_reading(f),) if unknown
        )
    return Policy(
        pid,
        version,
        title_fr,
        title_en,
        seed,
        citation,
        MappingProxyType(dict(params)),
        tuple(rules),
        MappingProxyType(plan),
        MappingProxyType(reads),
        MappingProxyType(inputs),
        MappingProxyType(
            {
                proc: attrgetter(*names, "procedure")  # always a tuple, even for one name
                for proc, names in reads.items()
                if inputs[proc]
            }
        ),
    )


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise PolicyError(k, "duplicate key in the policy file")
        out[k] = v
    return out


def _read(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError("file", f"cannot read {path}: {exc}") from None
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise PolicyError("file", f"{path.name}: not valid JSON ({exc})") from None
    return parse_policy(obj)


def available_policies() -> list[str]:
    """Ids of the policies shipped with geste."""
    return sorted(p.stem for p in POLICY_DIR.glob("*.json"))


@lru_cache(maxsize=16)
def _builtin(policy_id: str) -> Policy:
    policy = _read(POLICY_DIR / f"{policy_id}.json")
    if policy.id != policy_id:
        raise PolicyError("id", f"{policy.id!r} does not match the file name {policy_id!r}")
    return policy


def load_policy(policy_id_or_path: str | os.PathLike[str]) -> Policy:
    """A shipped policy by id (``covid19-aphp-2020``), or any policy file by path."""
    if isinstance(policy_id_or_path, os.PathLike):
        return _read(Path(policy_id_or_path))
    text = str(policy_id_or_path)
    if text in available_policies():
        return _builtin(text)
    if text.endswith(".json") or "/" in text or os.sep in text:
        return _read(Path(text))
    raise PolicyError(
        "policy", f"unknown policy {text!r} (available: {', '.join(available_policies())})"
    )
