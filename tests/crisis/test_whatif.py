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
from tests.factories import make_patient

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


def test_freed_hours_count_future_booked_procedures_only(frozen, radiologist):
    rooms = f.centre(radiologist)
    next_week = f.request("facet_infiltration")
    f.book_procedure(next_week, rooms["fluoro"], radiologist, f.NOW + timedelta(days=8, hours=2))
    cancelled = f.request("facet_infiltration")
    appt = f.book_procedure(cancelled, rooms["fluoro"], radiologist, f.NOW + timedelta(hours=3))
    appt.status = AppointmentStatus.CANCELLED
    appt.save(update_fields=["status"])
    past = f.request("facet_infiltration")
    f.book_procedure(past, rooms["ct"], radiologist, f.NOW - timedelta(hours=20))
    checked_in = f.request("facet_infiltration")
    appt = f.book_procedure(checked_in, rooms["echo"], radiologist, f.NOW + timedelta(hours=4))
    appt.status = AppointmentStatus.CHECKED_IN
    appt.save(update_fields=["status"])

    run = _run(radiologist)

    assert run.counts == {"defer": 4}
    freed = dict(run.decisions.values_list("request_id", "freed_minutes"))
    assert freed == {next_week.pk: 30, cancelled.pk: 0, past.pk: 0, checked_in.pk: 0}
    assert run.freed_minutes_by_week == {"2026-03-16": 30}


def test_progress_saved_per_chunk_and_decisions_independent_of_chunks(
    frozen, radiologist, monkeypatch
):
    """Small chunks: progress after each one, and a patient's requests spread over several
    chunks get the same decisions as one by one through the adapter."""
    from geste.crisis import whatif
    from geste.pathway.adapters import case_from_request
    from geste.rules.policy import load_policy
    from geste.rules.triage import triage
    from tests.pathway.factories import declare

    patients = [make_patient("Ana", f"Chunk{i}") for i in range(3)]
    for i, p in enumerate(patients):
        declare(p, f.NOW - timedelta(days=1), fever=i == 1)
    codes = ["facet_infiltration", "bone_biopsy", "vertebroplasty_tumoral", "tumor_ablation"]
    reqs = [
        f.request(codes[i % 4], patient=patients[i % 3], severe_pain=i % 5 == 0, lesion_count=i)
        for i in range(1, 8)
    ]
    progress: list[tuple[int, int]] = []
    flush = whatif._flush

    def spy(run_id, batch, processed, counts):  # type: ignore[no-untyped-def]
        progress.append((len(batch), processed))
        flush(run_id, batch, processed, counts)

    monkeypatch.setattr(whatif, "CHUNK", 3)
    monkeypatch.setattr(whatif, "_flush", spy)
    run = _run(radiologist)

    assert progress == [(3, 3), (3, 6), (1, 7)]
    assert (run.total, run.processed) == (7, 7)
    policy = load_policy("covid19-aphp-2020")
    expected = {r.pk: triage(case_from_request(r), policy, f.NOW.date()).decision for r in reqs}
    assert dict(run.decisions.values_list("request_id", "proposed")) == expected
    assert len(set(expected.values())) > 1
