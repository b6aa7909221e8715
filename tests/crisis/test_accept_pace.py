"""Plan acceptance saves its progress and sends its messages every few items (progress.Pace),
not after every booking: each patient is still told once, the job ends with all items counted."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from geste.crisis import progress, recovery_actions
from geste.crisis.models import CrisisJob, JobKind
from geste.crisis.recovery import plan_create
from geste.crisis.recovery_actions import plan_accept
from geste.crisis.services import crisis_end, crisis_start
from geste.pathway.models import RequestState
from geste.scheduling.models import Appointment, AppointmentStatus
from tests.crisis import factories as f
from tests.factories import make_patient

pytestmark = pytest.mark.django_db
POLICY = "covid19-aphp-2020"


def _deferred(days_ago: int, **extra):  # type: ignore[no-untyped-def]
    req = f.request(
        "facet_infiltration",
        state=RequestState.DEFERRED,
        review_on=f.NOW.date(),
        validated_at=f.NOW - timedelta(days=days_ago),
        **extra,
    )
    req.created_at = f.NOW - timedelta(days=days_ago)
    req.save(update_fields=["created_at"])
    return req


def test_acceptance_tells_each_patient_once_and_saves_progress_by_batch(
    radiologist, monkeypatch, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    told: list[int] = []
    beats: list[int] = []
    monkeypatch.setattr(progress, "notify_patient_change", told.append)
    monkeypatch.setattr(progress, "FLUSH_ITEMS", 3)
    monkeypatch.setattr(progress, "FLUSH_SECONDS", 3600.0)
    real_beat = recovery_actions.beat

    def beat(job_id, processed, **extra):  # type: ignore[no-untyped-def]
        beats.append(processed)
        real_beat(job_id, processed, **extra)

    monkeypatch.setattr(recovery_actions, "beat", beat)
    with time_machine.travel(f.NOW, tick=False):
        f.centre(radiologist)
        crisis = crisis_start(policy_id=POLICY, actor=radiologist)
        twice = make_patient("Paule", "Deuxfois")
        reqs = [_deferred(30 - i) for i in range(5)]
        reqs += [_deferred(20, patient=twice), _deferred(10, patient=twice)]
        crisis_end(crisis=crisis, actor=radiologist)
        plan = plan_create(crisis=crisis, actor=radiologist, weeks=2, time_limit_s=5)
        job = CrisisJob.objects.create(kind=JobKind.PLAN_ACCEPT, plan=plan)
        with django_capture_on_commit_callbacks(execute=True):
            result = plan_accept(plan=plan, actor=radiologist, job_id=job.pk)

    assert result.failed == [] and result.booked == 7
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 7
    # One message per patient (the patient with two requests told once), none lost.
    assert sorted(told) == sorted({r.patient_id for r in reqs})
    # Progress saved every third item and at the end, not after each of the seven.
    assert beats == [3, 6, 7]
    job.refresh_from_db()
    assert job.processed == job.total == 7


def test_pace_is_due_by_count_or_by_time(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(progress, "FLUSH_ITEMS", 2)
    monkeypatch.setattr(progress, "FLUSH_SECONDS", 10.0)
    clock = [100.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    pace = progress.Pace()
    assert [pace.due(), pace.due()] == [False, True]
    clock[0] += 11.0
    assert pace.due() is True  # by time, after one item
    assert pace.due() is False


class _Died(BaseException):
    """The worker stops in the middle of the acceptance (not an error the loop catches)."""


def test_a_worker_dying_between_two_saves_loses_no_message(
    radiologist, monkeypatch, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    told: list[int] = []
    monkeypatch.setattr(progress, "notify_patient_change", told.append)
    monkeypatch.setattr(progress, "FLUSH_ITEMS", 3)
    monkeypatch.setattr(progress, "FLUSH_SECONDS", 3600.0)
    real_book = recovery_actions._book
    calls = [0]

    def dying_book(item, actor, told_set):  # type: ignore[no-untyped-def]
        calls[0] += 1
        if calls[0] == 5:  # four booked, three of them told at the save after the third
            raise _Died
        real_book(item, actor, told_set)

    with time_machine.travel(f.NOW, tick=True):
        f.centre(radiologist)
        crisis = crisis_start(policy_id=POLICY, actor=radiologist)
        reqs = [_deferred(30 - i) for i in range(7)]
        crisis_end(crisis=crisis, actor=radiologist)
        plan = plan_create(crisis=crisis, actor=radiologist, weeks=2, time_limit_s=5)
        job = CrisisJob.objects.create(kind=JobKind.PLAN_ACCEPT, plan=plan)
        monkeypatch.setattr(recovery_actions, "_book", dying_book)
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(_Died):
            plan_accept(plan=plan, actor=radiologist, job_id=job.pk)
        assert len(told) == 3
        assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 4
        monkeypatch.setattr(recovery_actions, "_book", real_book)
        with django_capture_on_commit_callbacks(execute=True):
            result = plan_accept(plan=plan, actor=radiologist, job_id=job.pk)

    assert result.failed == [] and result.booked == 3
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 7
    # The fourth patient, booked but not told when the worker died, is told on resume; nobody twice.
    assert sorted(told) == sorted(r.patient_id for r in reqs)
