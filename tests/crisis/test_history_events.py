"""The dashboard's history is read from recorded events, not recomputed from today's states
(issue 11, point 8): a state or a decision row changed later leaves the earlier days as they
were; the number of queries does not grow with the requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from geste.crisis.dashboard import dashboard, history
from geste.crisis.models import RunDecision
from geste.crisis.services import crisis_start, decision_confirm, decisions_confirm_bulk
from geste.crisis.whatif import run_create, run_execute
from geste.pathway.models import ProcedureRequest, RequestState
from geste.pathway.services import request_transition
from tests.conftest import client_for
from tests.crisis import factories as f

pytestmark = pytest.mark.django_db
POLICY = "covid19-aphp-2020"
DAY1 = f.NOW.date()  # Monday 9 March 2026
DAY0, DAY2, DAY3 = DAY1 - timedelta(days=1), DAY1 + timedelta(days=1), DAY1 + timedelta(days=2)


def _crisis_day_one(radiologist, deferrable: int = 3):  # type: ignore[no-untyped-def]
    """Day 1: a crisis, `deferrable` facet infiltrations deferred in bulk, one intrathecal
    chemotherapy maintained."""
    f.centre(radiologist)
    deferred = [f.request("facet_infiltration") for _ in range(deferrable)]
    kept = f.request("intrathecal_injection", intrathecal_chemotherapy=True)
    crisis = crisis_start(policy_id=POLICY, actor=radiologist)
    run = run_execute(run_create(policy_id=POLICY, actor=radiologist, enqueue=False).pk)
    decisions_confirm_bulk(run=run, proposed="defer", actor=radiologist)
    decision_confirm(decision=run.decisions.get(request=kept), actor=radiologist)
    return crisis, deferred, kept


def _upto(points, day):  # type: ignore[no-untyped-def]
    return [(d, v) for d, v in points if d <= day]


def test_a_later_change_leaves_the_earlier_days_as_they_were(radiologist):  # type: ignore[no-untyped-def]
    with time_machine.travel(f.NOW, tick=False) as traveller:
        _crisis, deferred, _kept = _crisis_day_one(radiologist)
        traveller.move_to(f.NOW + timedelta(days=2))  # day 3
        before = history(DAY0, DAY3)
        assert before.backlog == [(DAY0, 0), (DAY1, 3), (DAY2, 3), (DAY3, 3)]
        assert before.deferred[1:] == [(DAY1, 3), (DAY2, 3), (DAY3, 3)]
        assert before.decisions["defer"][1] == (DAY1, 3)
        assert before.decisions["maintain"][1] == (DAY1, 1)

        # After the fact: one request's state written without a transition, one decision row
        # edited, one request properly resumed today.
        ProcedureRequest.objects.filter(pk=deferred[0].pk).update(state=RequestState.VALIDATED)
        RunDecision.objects.filter(request=deferred[1]).update(final="maintain")
        resumed = ProcedureRequest.objects.get(pk=deferred[2].pk)
        request_transition(request=resumed, to_state=RequestState.VALIDATED, actor=radiologist)
        after = history(DAY0, DAY3)

    for series in ("backlog", "deferred", "left"):
        assert _upto(getattr(after, series), DAY2) == _upto(getattr(before, series), DAY2)
    for kind, points in after.decisions.items():
        assert points == before.decisions[kind]  # edited rows are not the record
    assert after.backlog[-1] == (DAY3, 2)  # today: the recorded resumption only
    assert after.left[-1] == (DAY3, 1)


def test_the_dashboard_shows_the_history_in_flat_queries(radiologist):  # type: ignore[no-untyped-def]
    counts = []
    with time_machine.travel(f.NOW, tick=False) as traveller:
        crisis, _deferred, _kept = _crisis_day_one(radiologist, deferrable=2)
        traveller.move_to(f.NOW + timedelta(days=1))
        with CaptureQueriesContext(connection) as few:
            dashboard(crisis)
        counts.append(len(few))
        for _ in range(6):
            f.request("facet_infiltration")
        run = run_execute(run_create(policy_id=POLICY, actor=radiologist, enqueue=False).pk)
        decisions_confirm_bulk(run=run, proposed="defer", actor=radiologist)
        with CaptureQueriesContext(connection) as many:
            data = dashboard(crisis)
        counts.append(len(many))
        page = client_for(radiologist).get(reverse("crisis:dashboard")).content.decode()
    assert counts[0] == counts[1]
    assert data["flow_chart"].series[1].points[-1] == (DAY2, 8)  # "Reporter", cumulative
    assert "Décisions et reports au fil du temps" in page and page.count("<svg") == 3
