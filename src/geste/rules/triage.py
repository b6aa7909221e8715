"""Crisis triage: run a policy (see ``policy.py``) on one case.

Semantics (``docs/domain/crisis-triage.md``): decision rules are tried by priority and the
first match decides (rule 1 of ``covid19-aphp-2020`` has the lowest priority number, so it
wins over every other); each procedure ends with an "otherwise" rule, so ``rules`` is never
empty. Effect rules (``group_lesions``) apply whatever the decision; their ids follow the
deciding rule's id. ``review_on`` = today + the policy parameter for defer and
contraindicated, null otherwise.

**Unknown is not false** (revision 2): a clinical input may be unknown (null). The decision
reads it as false (``not_tried`` for ``level3_analgesics``); ``missing_inputs`` lists the
unknown inputs whose value could change the decision. They are found by trying the values:
every combination of the unknown inputs the procedure's rules read (at most a few hundred),
an input being missing when two combinations that differ only in it decide differently (so
"severe pain and level 3 failure", both unknown, are both listed although neither alone
changes an epidural's decision). ``clinicians_confirmed`` is not a clinical input: its null
means "not yet discussed" and has its own rule. Results are memoised per procedure and
values read, so a batch pays the search once per distinct pattern.
"""

from __future__ import annotations

from copy import copy
from datetime import date
from itertools import product
from typing import Any, NamedTuple

from .case import Case
from .policy import Policy, RuleText

__all__ = ["TriageResult", "triage"]


class TriageResult(NamedTuple):
    """The triage of one case (immutable; a NamedTuple because it is cheap to build)."""

    id: str
    decision: str  # maintain | defer | discuss | contraindicated
    rules: tuple[str, ...]
    review_on: date | None
    group_lesions: bool
    texts: tuple[RuleText, ...]  # the rules' explanations, same order as ``rules``
    # Unknown inputs that could change the decision (case field names, schema order): the
    # decision is "to complete", never applied in bulk.
    missing_inputs: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The contract's output object, keys in the contract order."""
        r = self.review_on
        return {
            "id": self.id,
            "decision": self.decision,
            "rules": list(self.rules),
            "review_on": None if r is None else r.isoformat(),
            "group_lesions": self.group_lesions,
            "missing_inputs": list(self.missing_inputs),
        }

    def explanation(self, lang: str = "fr") -> tuple[str, ...]:
        return tuple(t.text(lang) for t in self.texts)


def _decide(steps: tuple[Any, ...], case: Any) -> Any:
    for step in steps:
        pred = step.predicate
        if pred is None or pred(case):
            return step
    raise AssertionError("policy without a final rule")  # pragma: no cover


_MEMO_MAX = 50_000
_SETTERS = {name: Case.__dict__[name].__set__ for name in Case.__dataclass_fields__}


def _missing(case: Case, policy: Policy) -> tuple[str, ...]:
    """Search the unknown inputs of a case whose pattern is not in the memo yet."""
    proc = case.procedure
    unknown = tuple(item for item in policy.inputs[proc] if getattr(case, item[0]) is None)
    if not unknown:
        return ()
    steps = policy.plan[proc][0]
    trial = copy(case)
    setters = [_SETTERS[name] for name, _ in unknown]
    decisions: dict[tuple[object, ...], str] = {}
    for values in product(*(vals for _, vals in unknown)):
        for setter, v in zip(setters, values, strict=True):
            setter(trial, v)
        decisions[values] = _decide(steps, trial).decision
    missing = []
    for i, (name, _) in enumerate(unknown):
        seen: dict[tuple[object, ...], str] = {}
        for values, decision in decisions.items():
            others = values[:i] + values[i + 1 :]
            if seen.setdefault(others, decision) != decision:
                missing.append(name)
                break
    return tuple(missing)


def triage(case: Case, policy: Policy, today: date) -> TriageResult:
    """Decide what to do with one case during a crisis."""
    proc = case.procedure
    steps, effects = policy.plan[proc]
    for step in steps:
        pred = step.predicate
        if pred is None or pred(case):
            break
    else:  # pragma: no cover - parse_policy guarantees a final rule without condition
        raise AssertionError(f"policy {policy.id} has no decision for {proc}")
    rule_ids = step.rule_ids
    texts = step.texts
    group = False
    for rule in effects:
        if rule.predicate(case):
            group = True  # the only effect so far: group_lesions
            rule_ids = (*rule_ids, rule.id)
            texts = (*texts, rule.explain)
    review = step.review
    missing: tuple[str, ...] = ()
    reader = policy.readers.get(proc)
    if reader is not None:
        # The answer depends only on the values the procedure's rules read: memoised by them
        # (one C-level read and a dict lookup per case once a pattern is known).
        key = reader(case)
        memo = policy.memo
        found = memo.get(key)
        if found is None:
            found = _missing(case, policy)
            if len(memo) >= _MEMO_MAX:  # bounded: numeric fields (age...) could vary a lot
                memo.clear()
            memo[key] = found
        missing = found
    return _new(
        TriageResult,
        (
            case.id,
            step.decision,
            rule_ids,
            None if review is None else today + review,
            group,
            texts,
            missing,
        ),
    )


_new = tuple.__new__
