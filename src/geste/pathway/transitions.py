"""The request's state machine (docs/domain/pathway.md, "States of a request").

`ALLOWED[a]` is the set of states a request in state `a` may move to. Crisis moves (defer,
discuss) apply to every pending state; a deferred or discussed request comes back to the
state it had reached (`requested` or `validated`, see `resume_state()`).
"""

from __future__ import annotations

from geste.pathway.models import PENDING_STATES, RequestState

S = RequestState

_CRISIS = {S.DEFERRED, S.IN_DISCUSSION, S.CANCELLED}

ALLOWED: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.CONSULTATION_BOOKED, *_CRISIS}),
    S.CONSULTATION_BOOKED: frozenset({S.CONSULTATION_DONE, S.REQUESTED, *_CRISIS}),
    S.CONSULTATION_DONE: frozenset({S.VALIDATED, S.INDICATION_REFUSED, *_CRISIS}),
    S.INDICATION_REFUSED: frozenset(),
    S.VALIDATED: frozenset({S.PROCEDURE_BOOKED, *_CRISIS}),
    S.PROCEDURE_BOOKED: frozenset({S.CHECKED_IN, S.VALIDATED, *_CRISIS}),
    S.CHECKED_IN: frozenset({S.READY, S.VALIDATED, S.CANCELLED}),
    S.READY: frozenset({S.PERFORMED, S.VALIDATED, S.CANCELLED}),
    S.PERFORMED: frozenset({S.REPORTED}),
    S.REPORTED: frozenset({S.FOLLOWED_UP}),
    S.FOLLOWED_UP: frozenset(),
    S.DEFERRED: frozenset({S.REQUESTED, S.VALIDATED, S.IN_DISCUSSION, S.DEFERRED, S.CANCELLED}),
    S.IN_DISCUSSION: frozenset({S.REQUESTED, S.VALIDATED, S.DEFERRED, S.CANCELLED}),
    S.CANCELLED: frozenset(),
}

assert set(ALLOWED) == set(RequestState.values)
assert set(ALLOWED) >= PENDING_STATES


def can_move(from_state: str, to_state: str) -> bool:
    return to_state in ALLOWED.get(from_state, frozenset())


def resume_state(*, validated: bool) -> str:
    """Where a deferred or discussed request goes back to when it is maintained."""
    return S.VALIDATED if validated else S.REQUESTED
