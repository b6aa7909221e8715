"""The decisions shown equal `geste triage` on the same cases (issue 6, "Done means")."""

from __future__ import annotations

import json
import random

import pytest
import time_machine

from geste.clinic.models import Procedure
from geste.crisis.whatif import run_create, run_execute
from geste.pathway.adapters import cases_from_requests
from geste.pathway.models import PENDING_STATES, ProcedureRequest
from geste.rules.case import case_to_json
from geste.rules.cli import triage_main
from tests.crisis import factories as f
from tests.factories import make_patient

pytestmark = pytest.mark.django_db
FLAGS = [
    "severe_pain",
    "neutropenia",
    "respiratory_signs",
    "acute_arthritis",
    "crystal_arthritis",
    "threatening_lesion",
    "local_tumor_control_needed",
    "bedrest_decline_risk",
    "urgent_diagnosis_needed",
    "intrathecal_chemotherapy",
]


def test_whatif_equals_cli(tmp_path, capsys, radiologist):
    rng = random.Random(6)
    procedures = list(Procedure.objects.all())
    patients = [make_patient("P", f"Cli{i}") for i in range(10)]
    with time_machine.travel(f.NOW, tick=False):
        for i in range(300):
            # Revision 2: an input may be unknown (None), listed in missing_inputs.
            extra = {flag: rng.choice([True, False, False, None]) for flag in FLAGS}
            ProcedureRequest.objects.create(
                patient=patients[i % 10],
                procedure=rng.choice(procedures),
                state=rng.choice(sorted(PENDING_STATES)),
                level3_analgesics=rng.choice(
                    ["not_tried", "effective", "failed", "not_tolerated", None]
                ),
                clinicians_confirmed=rng.choice([None, True, False]),
                lesion_count=rng.choice([1, 1, 2, 4]),
                **extra,
            )
        run = run_execute(
            run_create(policy_id="covid19-aphp-2020", actor=radiologist, enqueue=False).pk
        )
        cases = list(cases_from_requests(ProcedureRequest.objects.filter(state__in=PENDING_STATES)))
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(case_to_json(c)) for c in cases), encoding="utf-8")
    capsys.readouterr()
    status = triage_main(["--policy", "covid19-aphp-2020", "--today", "2026-03-09", str(path)])
    out = capsys.readouterr().out
    assert status == 0
    expected = {row["id"]: row for row in map(json.loads, out.splitlines())}
    shown = {
        str(d.request_id): {
            "id": str(d.request_id),
            "decision": d.proposed,
            "rules": d.rules,
            "review_on": d.review_on.isoformat() if d.review_on else None,
            "group_lesions": d.group_lesions,
            "missing_inputs": d.missing_inputs,
        }
        for d in run.decisions.all()
    }
    assert len(shown) == 300
    assert shown == expected
    assert {row["decision"] for row in expected.values()} == {
        "maintain",
        "defer",
        "discuss",
        "contraindicated",
    }
