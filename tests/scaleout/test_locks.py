"""Periodic jobs one host at a time (clinic.locks): PostgreSQL advisory locks, or a file lock
beside the SQLite database. Each run here holds the lock on its own connection (or open file),
as another host's process would."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import call_command

from geste.clinic.locks import lock_key, run_alone, single_run
from geste.crisis import tasks as crisis_tasks
from geste.pathway import tasks as pathway_tasks

pytestmark = pytest.mark.django_db


def test_a_second_run_while_the_first_holds_the_lock_gets_nothing() -> None:
    with single_run("job") as first:
        assert first is True
        with single_run("job") as second:
            assert second is False
        with single_run("another job") as other:  # locks are per job name
            assert other is True
    with single_run("job") as after:  # released at the end of the first run
        assert after is True


def test_the_lock_is_released_when_the_job_raises() -> None:
    with pytest.raises(ValueError), single_run("job"):
        raise ValueError("the job failed")
    assert run_alone("job", lambda: "ran") == "ran"


def test_run_alone_in_two_threads_runs_the_job_once() -> None:
    inside, tried = threading.Event(), threading.Event()
    results: list[str | None] = []

    def first() -> str:
        inside.set()
        assert tried.wait(30)
        return "first"

    thread = threading.Thread(target=lambda: results.append(run_alone("tick", first)))
    thread.start()
    assert inside.wait(30)
    second = run_alone("tick", lambda: "second")  # the other thread holds the lock
    tried.set()
    thread.join(30)
    assert second is None
    assert results == ["first"]


def test_a_tick_while_another_host_runs_it_does_nothing() -> None:
    out = StringIO()
    with single_run("scheduling_tick"):
        call_command("scheduling_tick", stdout=out)
    assert out.getvalue().strip() == (
        "scheduling_tick: already running on another host; nothing done"
    )
    out = StringIO()
    call_command("scheduling_tick", stdout=out)
    assert "reminder(s) sent" in out.getvalue()


@pytest.mark.parametrize("command", ["pathway_tick", "crisis_review"])
def test_every_periodic_command_takes_its_lock(command: str) -> None:
    out = StringIO()
    with single_run(command):
        call_command(command, stdout=out)
    assert out.getvalue().strip() == f"{command}: already running on another host; nothing done"


def test_the_daily_review_task_skips_while_the_command_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tasks = crisis_tasks
    calls: list[str] = []
    monkeypatch.setattr(tasks, "review_due", lambda: calls.append("review"))
    with single_run("crisis_review"):
        assert tasks.daily_review.call() == {"run": None}
    assert calls == []
    tasks.daily_review.call()
    assert calls == ["review"]


def test_lock_keys_are_stable_signed_32_bit_integers() -> None:
    key = lock_key("scheduling_tick")
    assert key == lock_key("scheduling_tick") != lock_key("pathway_tick")
    assert -(2**31) <= key < 2**31


@pytest.mark.parametrize(
    "name",
    [
        "send_due_reminders",
        "expire_offers",
        "send_due_followup_reminders",
        "send_due_month_reminders",
    ],
)
def test_periodic_tasks_do_nothing_while_another_worker_runs_them(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = pathway_tasks
    task = getattr(tasks, name)
    # the worker finds the task by its dotted path: the lock wrapper keeps it
    assert task.module_path == f"geste.pathway.tasks.{name}"
    calls: list[str] = []
    monkeypatch.setattr(tasks.waitlist, "offers_expire", lambda: calls.append("x") or 3)
    monkeypatch.setattr(tasks.reminders, "due_followup_ids", lambda: calls.append("x") or [])
    monkeypatch.setattr(tasks.reminders, "due_month_ids", lambda: calls.append("x") or [])
    monkeypatch.setattr(
        tasks.appointment_reminders, "due_appointment_ids", lambda: calls.append("x") or []
    )
    with single_run(name):
        assert task.call() == 0
    assert calls == []
    task.call()
    assert calls == ["x"]
