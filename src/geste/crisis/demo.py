"""Demo data for crisis mode: a few requests that each policy rule has something to say about.

No crisis is started: the demo shows the normal centre, and the crisis cycle (what-if, apply,
discussions, end, recovery plan) is played from the "Mode crise" page. Deterministic, idempotent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import IO, Any

from django.utils import timezone

from geste.clinic.models import Procedure
from geste.pathway.models import ProcedureRequest, RequestState
from geste.patients.models import Patient

REFERRER = ("Dr Anne Lemaire", "a.lemaire@hopital-demo.fr")

CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("vertebroplasty_tumoral", RequestState.VALIDATED, {"lesion_count": 2}),
    ("tumor_ablation", RequestState.CONSULTATION_DONE, {"lesion_count": 1}),
    ("vertebroplasty_benign", RequestState.VALIDATED, {"bedrest_decline_risk": True}),
    ("vertebroplasty_benign", RequestState.REQUESTED, {"respiratory_signs": True}),
    ("intrathecal_injection", RequestState.VALIDATED, {"intrathecal_chemotherapy": True}),
    ("bone_biopsy", RequestState.REQUESTED, {"urgent_diagnosis_needed": True}),
    ("peripheral_joint_infiltration", RequestState.VALIDATED, {"acute_arthritis": True}),
    (
        "epidural_infiltration",
        RequestState.VALIDATED,
        {"severe_pain": True, "level3_analgesics": "failed", "pain_nrs": 9},
    ),
]


def load(*, context: dict[str, Any], progress: IO[str] | None = None) -> None:
    if ProcedureRequest.objects.filter(referring_email=REFERRER[1]).exists():
        return
    patients = list(
        Patient.objects.filter(user__isnull=True).order_by("pk")[100 : 100 + len(CASES)]
    )
    if len(patients) < len(CASES):
        return
    now = timezone.now()
    for i, ((code, state, flags), patient) in enumerate(zip(CASES, patients, strict=True)):
        validated = state == RequestState.VALIDATED
        ProcedureRequest.objects.create(
            patient=patient,
            procedure=Procedure.objects.get(code=code),
            state=state,
            referring_physician=REFERRER[0],
            referring_email=REFERRER[1],
            validated_at=now - timedelta(days=10 + i) if validated else None,
            **flags,
        )
    if progress is not None:
        progress.write(f"  crisis: {len(CASES)} requests for the crisis policy's rules\n")
