"""Writes on requests. Every state change: atomic, an explicit actor, an audit event."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.pathway.models import ProcedureRequest, RequestState, RequestTransition
from geste.pathway.transitions import can_move


class TransitionError(ValueError):
    """An illegal state change: the message says which and why, in the user's language."""


def request_transition(
    *,
    request: ProcedureRequest,
    to_state: str,
    actor: Any,
    reason: str = "",
    action: str | None = None,
    details: dict[str, Any] | None = None,
    extra_fields: dict[str, Any] | None = None,
) -> ProcedureRequest:
    """Move a request to `to_state` (pathway.md states), recording who, when and why.

    The row is locked and re-read inside the transaction, so two concurrent moves cannot
    both start from the same state.
    """
    with transaction.atomic():
        locked = ProcedureRequest.objects.select_for_update().get(pk=request.pk)
        from_state = locked.state
        if not can_move(from_state, to_state):
            raise TransitionError(
                _("Impossible de passer la demande de « %(a)s » à « %(b)s ».")
                % {
                    "a": RequestState(from_state).label,
                    "b": RequestState(to_state).label,
                }
            )
        locked.state = to_state
        fields = ["state"]
        for name, value in (extra_fields or {}).items():
            setattr(locked, name, value)
            fields.append(name)
        locked.save(update_fields=fields)
        RequestTransition.objects.create(
            request=locked, from_state=from_state, to_state=to_state, actor=actor, reason=reason
        )
        log_action(
            actor=actor,
            action=action or f"request.{to_state}",
            obj=locked,
            patient=locked.patient,
            details={"from": from_state, "to": to_state, **(details or {})},
        )
    request.refresh_from_db()
    return request
