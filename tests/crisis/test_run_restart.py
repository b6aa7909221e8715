"""A what-if run whose worker died is seen as interrupted and can be restarted (issue 12,
point 11): never left "running" for ever."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from geste.audit.models import AuditEvent
from geste.crisis.errors import CrisisError
from geste.crisis.models import PolicyRun, RunDecision, RunKind, RunStatus
from geste.crisis.whatif import STALE, run_execute, run_restart, run_stalled
from geste.pathway.models import RequestState
from geste.rules.policy import load_policy
from tests.conftest import client_for
from tests.crisis import factories as f
from tests.factories import make_patient

pytestmark = pytest.mark.django_db
POLICY = "covid19-aphp-2020"


def _died_midway(actor) -> PolicyRun:  # type: ignore[no-untyped-def]
    """A run its worker started, wrote one proposal for, then died (no more heartbeat)."""
    for i in range(3):
        f.request("facet_infiltration", patient=make_patient(f"P{i}", f"Restart{i}"))
    run = PolicyRun.objects.create(
        kind=RunKind.WHAT_IF,
        policy_id=POLICY,
        policy_version=load_policy(POLICY).version,
        today=f.NOW.date(),
        created_by=actor,
        status=RunStatus.RUNNING,
        started_at=f.NOW,
        heartbeat_at=f.NOW,
        total=3,
        processed=1,
    )
    first = f.request("facet_infiltration", patient=make_patient("P9", "Partial"))
    RunDecision.objects.create(
        run=run, request=first, request_state=RequestState.REQUESTED, proposed="defer"
    )
    return run


def test_a_silent_running_run_is_stalled_then_restarted_and_completes(radiologist):
    with time_machine.travel(f.NOW, tick=False) as clock:
        run = _died_midway(radiologist)
        assert not run_stalled(run)  # still within its heartbeat
        with pytest.raises(CrisisError):
            run_restart(run=run, actor=radiologist)
        clock.move_to(f.NOW + STALE + timedelta(seconds=1))
        run.refresh_from_db()
        assert run_stalled(run)
        run_restart(run=run, actor=radiologist)
        run.refresh_from_db()
        assert run.status == RunStatus.QUEUED and run.processed == 0
        assert not run.decisions.exists()  # the partial proposals were dropped
        event = AuditEvent.objects.get(action="crisis.run_restarted")
        assert event.details["dropped"] == 1
        run_execute(run.pk)  # a worker takes it again
        run.refresh_from_db()
        assert run.status == RunStatus.DONE
        assert run.decisions.count() == run.total == 4
        assert not run_stalled(run)


def test_the_run_page_says_it_stopped_and_restarts_it(radiologist):
    with time_machine.travel(f.NOW, tick=False) as clock:
        run = _died_midway(radiologist)
        client = client_for(radiologist)
        page = client.get(reverse("crisis:run", args=[run.pk])).content.decode()
        assert "Relancer le calcul" not in page
        clock.move_to(f.NOW + STALE + timedelta(minutes=1))
        client = client_for(radiologist)  # a new staff session after the idle time
        page = client.get(reverse("crisis:run", args=[run.pk])).content.decode()
        assert "s'est interrompu" in page and "Relancer le calcul" in page
        response = client.post(reverse("crisis:run_restart", args=[run.pk]))
        assert response.status_code == 302
        run.refresh_from_db()
        assert run.status in (RunStatus.QUEUED, RunStatus.DONE)  # tasks run inline in tests
