"""What-if runs: every pending request triaged, nothing changed, counts and freed hours."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from geste.crisis.models import PolicyRun, RunKind, RunStatus
from geste.crisis.whatif import run_create, run_execute
from geste.pathway.models import ProcedureRequest, RequestState
from geste.scheduling.models import Appointment, AppointmentStatus
from tests.crisis import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(f.NOW, tick=False) as traveller:
        yield traveller


def _run(actor) -> PolicyRun:  # type: ignore[no-untyped-def]
    run = run_create(policy_id="covid19-aphp-2020", actor=actor, enqueue=False)
    return run_execute(run.pk)


def test_whatif_triages_pending_only_and_changes_nothing(frozen, radiologist):
    rooms = f.centre(radiologist)
    facet = f.request("facet_infiltration")
    f.book_procedure(facet, rooms["fluoro"], radiologist, f.NOW + timedelta(days=1, hours=2))
    f.request("vertebroplasty_tumoral", state=RequestState.REQUESTED)
    f.request("intrathecal_injection", intrathecal_chemotherapy=True)
    f.request("vertebroplasty_benign", neutropenia=True)
    f.request("facet_infiltration", state=RequestState.PERFORMED)  # not pending
    before = list(ProcedureRequest.objects.values_list("pk", "state").order_by("pk"))

    run = _run(radiologist)

    assert run.status == RunStatus.DONE
    assert run.total == 4 and run.processed == 4
    assert run.counts == {"defer": 1, "discuss": 1, "maintain": 1, "contraindicated": 1}
    # The facet infiltration's 30 min next week would be freed.
    assert run.freed_minutes_by_week == {"2026-03-09": 30}
    assert list(ProcedureRequest.objects.values_list("pk", "state").order_by("pk")) == before
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1
    decision = run.decisions.get(request=facet)
    assert decision.proposed == "defer"
    assert decision.rules == ["R2b"]
    assert decision.review_on == f.NOW.date() + timedelta(days=28)
    assert decision.freed_minutes == 30
    assert decision.request_state == RequestState.PROCEDURE_BOOKED


def test_grouped_lesions_flagged(frozen, radiologist):
    req = f.request("tumor_ablation", lesion_count=3)
    run = _run(radiologist)
    decision = run.decisions.get(request=req)
    assert decision.group_lesions is True
    assert decision.proposed == "discuss"
    assert decision.rules == ["R6c", "R7"]


def test_run_is_not_executed_twice(frozen, radiologist):
    f.request("facet_infiltration")
    run = run_create(policy_id="covid19-aphp-2020", actor=radiologist, enqueue=False)
    run_execute(run.pk)
    run_execute(run.pk)
    assert run.decisions.count() == 1


def test_task_runs_on_commit(frozen, radiologist, django_capture_on_commit_callbacks):
    f.request("facet_infiltration")
    with django_capture_on_commit_callbacks(execute=True):
        run = run_create(policy_id="covid19-aphp-2020", actor=radiologist)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.kind == RunKind.WHAT_IF
    assert run.counts == {"defer": 1}


def test_whatif_query_count_is_flat(frozen, radiologist, django_assert_max_num_queries):
    for i in range(60):
        f.request("facet_infiltration" if i % 2 else "bone_biopsy")
    run = run_create(policy_id="covid19-aphp-2020", actor=radiologist, enqueue=False)
    with django_assert_max_num_queries(20):
        run_execute(run.pk)
