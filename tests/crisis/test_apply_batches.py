"""Bulk apply in batches (issue 11, point 10): one transaction per batch, the run's checks made
once, the same effects, audit events and messages as one decision at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from geste.audit.models import AuditEvent
from geste.audit.services import verify_chain
from geste.crisis import progress
from geste.crisis.jobs import job_create, job_execute
from geste.crisis.models import RunDecision, RunKind
from geste.crisis.services import crisis_end, crisis_start, decisions_confirm_batch
from geste.crisis.whatif import run_create, run_execute
from geste.pathway.models import ProcedureRequest, RequestState
from geste.scheduling.models import AppointmentStatus
from tests.crisis import factories as f

pytestmark = pytest.mark.django_db
POLICY = "covid19-aphp-2020"


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(f.NOW, tick=False) as traveller:
        yield traveller


def _run(actor):  # type: ignore[no-untyped-def]
    return run_execute(run_create(policy_id=POLICY, actor=actor, enqueue=False).pk)


def test_a_batch_applies_each_decision_like_one_at_a_time(
    frozen, radiologist, django_capture_on_commit_callbacks
):
    rooms = f.centre(radiologist)
    booked = f.request("facet_infiltration")
    appt = f.book_procedure(
        booked, rooms["fluoro"], radiologist, f.NOW + timedelta(days=2, hours=3)
    )
    plain = f.request("epidural_infiltration")
    moved_on = f.request("facet_infiltration")
    crisis_start(policy_id=POLICY, actor=radiologist)
    run = _run(radiologist)
    moved_on.state = RequestState.CANCELLED
    moved_on.save()
    ids = list(run.decisions.filter(proposed="defer").values_list("pk", flat=True))
    assert len(ids) == 3
    told: set[int] = set()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        done = decisions_confirm_batch(run=run, ids=ids, actor=radiologist, told=told)
        progress.tell(told)
    assert done == {"failed": 0, "applied": 2, "skipped": 1}
    for req in (booked, plain, moved_on):
        req.refresh_from_db()
    appt.refresh_from_db()
    assert booked.state == plain.state == RequestState.DEFERRED
    assert booked.review_on == f.NOW.date() + timedelta(days=28)
    assert moved_on.state == RequestState.CANCELLED
    assert appt.status == AppointmentStatus.CANCELLED
    rows = {d.request_id: d for d in RunDecision.objects.filter(pk__in=ids)}
    assert {d.outcome for d in rows.values()} == {"applied", "skipped"}
    assert all(d.final == "defer" and d.confirmed_by == radiologist for d in rows.values())
    run.refresh_from_db()
    assert run.kind == RunKind.APPLIED and run.applied_by == radiologist
    # One audit event per decision, with the policy and its rules; the chain still holds.
    events = AuditEvent.objects.filter(action="crisis.decision_confirmed")
    assert events.count() == 3
    assert all(e.details["policy"] == POLICY and e.details["rules"] for e in events)
    assert verify_chain().ok
    # One minimal message per patient whose appointments changed.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [booked.patient.email, plain.patient.email]
    )


def test_a_batch_refuses_decisions_handled_meanwhile_and_goes_on(frozen, radiologist):
    a = f.request("facet_infiltration")
    b = f.request("epidural_infiltration")
    crisis_start(policy_id=POLICY, actor=radiologist)
    run = _run(radiologist)
    first = run.decisions.get(request=a)
    RunDecision.objects.filter(pk=first.pk).update(outcome="applied", final="defer")
    ids = list(run.decisions.values_list("pk", flat=True))
    with transaction.atomic():
        done = decisions_confirm_batch(run=run, ids=ids, actor=radiologist, told=set())
    assert done == {"failed": 1, "applied": 1}
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.state == RequestState.VALIDATED and b.state == RequestState.DEFERRED
    assert AuditEvent.objects.filter(action="crisis.decision_confirmed").count() == 1


def test_the_job_cuts_batches_and_saves_progress_after_each(frozen, radiologist, monkeypatch):
    for _ in range(5):
        f.request("facet_infiltration")
    crisis_start(policy_id=POLICY, actor=radiologist)
    run = _run(radiologist)
    monkeypatch.setattr(progress, "BATCH", 2)  # 2 + 2 + 1
    monkeypatch.setattr(progress, "SQLITE_PAUSE_SECONDS", 0)
    saved: list[int] = []
    beat = progress.beat

    def spy(job_id, processed, **extra):  # type: ignore[no-untyped-def]
        saved.append(processed)
        beat(job_id, processed, **extra)

    monkeypatch.setattr("geste.crisis.jobs.beat", spy)
    job = job_create(kind="apply", actor=radiologist, run=run, proposed="defer", total=5)
    job = job_execute(job.pk)
    assert job.result["done"] == {"applied": 5, "skipped": 0, "failed": 0}
    assert saved == [2, 4, 5]
    assert ProcedureRequest.objects.filter(state=RequestState.DEFERRED).count() == 5
    assert verify_chain().ok


def test_a_crisis_ended_meanwhile_applies_nothing(frozen, radiologist):
    for _ in range(2):
        f.request("facet_infiltration")
    crisis = crisis_start(policy_id=POLICY, actor=radiologist)
    run = _run(radiologist)
    job = job_create(kind="apply", actor=radiologist, run=run, proposed="defer", total=2)
    crisis_end(crisis=crisis, actor=radiologist)
    job = job_execute(job.pk)
    assert job.result["done"]["failed"] == 2 and job.result["done"]["applied"] == 0
    assert not ProcedureRequest.objects.filter(state=RequestState.DEFERRED).exists()
    assert not AuditEvent.objects.filter(action="crisis.decision_confirmed").exists()
