"""How long a session lasts: the catalogue's duration, or one longer session when the crisis
policy in force groups a request's lesions (docs/domain/crisis-triage.md, rule 7)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from geste.clinic.models import Procedure
from geste.clinic.selectors import crisis_policy_id
from geste.pathway.adapters import case_from_request
from geste.pathway.models import ProcedureRequest
from geste.rules.policy import load_policy
from geste.rules.triage import triage
from geste.scheduling import capacity
from geste.scheduling.models import AppointmentKind

# A grouped session (several lesions treated at once, crisis-triage.md rule 7) takes the
# procedure's duration times 1 + 0.5 per extra lesion, capped at 2.5: each extra vertebra adds
# about half a session (cement preparation and the imaging are shared), and one very long
# session is split in practice. Documented in the README (crisis mode).
GROUPED_EXTRA_PER_LESION = 0.5
GROUPED_MAX_FACTOR = 2.5


def grouped_factor(lesion_count: int) -> float:
    extra = max(0, lesion_count - 1)
    return min(GROUPED_MAX_FACTOR, 1 + GROUPED_EXTRA_PER_LESION * extra)


def session_minutes(request: ProcedureRequest, *, policy_id: str | None = None) -> int:
    """Length of the procedure session for this request: one longer session when the crisis
    policy in force (or the one given) groups its lesions, else the catalogue's."""
    base = int(request.procedure.duration_min)
    policy_id = crisis_policy_id() if policy_id is None else policy_id
    if not policy_id or request.lesion_count <= 1:
        return base
    result = triage(case_from_request(request), load_policy(policy_id), timezone.localdate())
    if not result.group_lesions:
        return base
    return round(base * grouped_factor(request.lesion_count))


def session_length(*, kind: str, procedure: Procedure, request: Any = None) -> timedelta:
    if kind == AppointmentKind.CONSULTATION:
        return timedelta(minutes=capacity.CONSULTATION_MINUTES)
    if request is not None:
        return timedelta(minutes=session_minutes(request))
    return timedelta(minutes=procedure.duration_min)
