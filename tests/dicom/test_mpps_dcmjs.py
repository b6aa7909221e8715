"""MPPS played by a third-party modality (npm dcmjs-dimse, in a node subprocess)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from geste.audit.models import AuditEvent
from geste.dicom import identifiers as ids
from geste.dicom.models import PerformedStep, StepStatus
from geste.dicom.selectors import step_status_by_request
from geste.pathway.models import ProcedureRequest, RequestState

pytestmark = pytest.mark.django_db(transaction=True)


def play(
    script: Path, server: tuple[str, int], accession: str, final: str, aet: str = "AA2"
) -> dict[str, Any]:
    host, port = server
    proc = subprocess.run(
        ["node", str(script), host, str(port), aet, "GESTE", accession, final],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    # The library logs to stdout too: our line is the one marked RESULT.
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return dict(json.loads(line.removeprefix("RESULT ")))


def test_modality_reads_worklist_then_completes_its_step(
    node_modality: Path, dicom_server: tuple[str, int], day: dict[str, Any]
) -> None:
    bob = day["bob"]
    out = play(node_modality, dicom_server, ids.accession_number(bob.request_id), "COMPLETED")
    assert out["errors"] == []
    assert out["find"] == [
        {
            "PatientName": [{"Alphabetic": "Lefèvre^Bob"}],
            "AccessionNumber": ids.accession_number(bob.request_id),
        }
    ]
    assert out["create"] == 0 and out["set"] == 0
    assert out["again"] == 0x0110  # completed: may no longer be updated
    step = PerformedStep.objects.get(sop_instance_uid=out["mpps"])
    assert step.status == StepStatus.COMPLETED
    assert step.appointment_id == bob.pk and step.request_id == bob.request_id
    assert step.started_at is not None and step.ended_at is not None
    actions = list(
        AuditEvent.objects.filter(action__startswith="dicom.mpps")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["dicom.mpps_in_progress", "dicom.mpps_completed"]
    assert AuditEvent.objects.filter(action="dicom.mpps_completed", patient=bob.patient).exists()
    # The request is not moved: `performed` waits for the procedure record (see dicom docs).
    assert ProcedureRequest.objects.get(pk=bob.request_id).state == RequestState.PROCEDURE_BOOKED
    assert step_status_by_request([bob.request_id]) == {bob.request_id: "COMPLETED"}


def test_modality_discontinues_with_a_reason(
    node_modality: Path, dicom_server: tuple[str, int], day: dict[str, Any]
) -> None:
    alice = day["alice"]
    out = play(node_modality, dicom_server, ids.accession_number(alice.request_id), "DISCONTINUED")
    assert out["create"] == 0 and out["set"] == 0, out
    step = PerformedStep.objects.get(sop_instance_uid=out["mpps"])
    assert step.status == StepStatus.DISCONTINUED
    assert step.discontinuation_reason == "Incorrect worklist entry selected"
    event = AuditEvent.objects.get(action="dicom.mpps_discontinued")
    assert event.details["reason"] == "Incorrect worklist entry selected"


def test_unknown_station_cannot_associate(
    node_modality: Path, dicom_server: tuple[str, int], day: dict[str, Any]
) -> None:
    bob = day["bob"]
    out = play(
        node_modality, dicom_server, ids.accession_number(bob.request_id), "COMPLETED", aet="ROGUE"
    )
    assert out["find"] == [] and out["create"] is None
    assert any("rejected" in e for e in out["errors"]), out
    assert PerformedStep.objects.count() == 0
