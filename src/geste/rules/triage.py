"""Crisis triage: run a policy (see ``policy.py``) on one case.

Semantics (``docs/domain/crisis-triage.md``): decision rules are tried by priority and the
first match decides (rule 1 of ``covid19-aphp-2020`` has the lowest priority number, so it
wins over every other); each procedure ends with an "otherwise" rule, so ``rules`` is never
empty. Effect rules (``group_lesions``) apply whatever the decision; their ids follow the
deciding rule's id. ``review_on`` = today + the policy parameter for defer and
contraindicated, null otherwise.
"""

from __future__ import annotations

from datetime import date
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

    def to_json(self) -> dict[str, Any]:
        """The contract's output object, keys in the contract order."""
        r = self.review_on
        return {
            "id": self.id,
            "decision": self.decision,
            "rules": list(self.rules),
            "review_on": None if r is None else r.isoformat(),
            "group_lesions": self.group_lesions,
        }

    def explanation(self, lang: str = "fr") -> tuple[str, ...]:
        return tuple(t.text(lang) for t in self.texts)


def triage(case: Case, policy: Policy, today: date) -> TriageResult:
    """Decide what to do with one case during a crisis."""
    steps, effects = policy.plan[case.procedure]
    for step in steps:
        pred = step.predicate
        if pred is None or pred(case):
            break
    else:  # pragma: no cover - parse_policy guarantees a final rule without condition
        raise AssertionError(f"policy {policy.id} has no decision for {case.procedure}")
    rule_ids = step.rule_ids
    texts = step.texts
    group = False
    for rule in effects:
        if rule.predicate(case):
            group = True  # the only effect so far: group_lesions
            rule_ids = (*rule_ids, rule.id)
            texts = (*texts, rule.explain)
    review = step.review
    return _new(
        TriageResult,
        (
            case.id,
            step.decision,
            rule_ids,
            None if review is None else today + review,
            group,
            texts,
        ),
    )


_new = tuple.__new__
