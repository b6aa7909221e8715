"""End of crisis: the recovery plan (CP-SAT vs FCFS), adjust, accept (appointments booked)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from geste.crisis.errors import CrisisError
from geste.crisis.models import PlanStatus
from geste.crisis.recovery import plan_create, priority_weight
from geste.crisis.recovery_actions import item_move, item_remove, plan_accept
from geste.crisis.services import crisis_end, crisis_start
from geste.pathway.models import RequestState
from geste.pathway.sessions import session_minutes
from geste.scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from tests.crisis import factories as f

pytestmark = pytest.mark.django_db
POLICY = "covid19-aphp-2020"


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(f.NOW, tick=False) as traveller:
        yield traveller


def _deferred(code: str, days_ago: int, **extra):  # type: ignore[no-untyped-def]
    extra.setdefault("validated_at", f.NOW - timedelta(days=days_ago))
    req = f.request(code, state=RequestState.DEFERRED, review_on=f.NOW.date(), **extra)
    req.created_at = f.NOW - timedelta(days=days_ago)
    req.save(update_fields=["created_at"])
    return req


def test_plan_needs_the_crisis_ended(frozen, radiologist):
    crisis = crisis_start(policy_id=POLICY, actor=radiologist)
    with pytest.raises(CrisisError):
        plan_create(crisis=crisis, actor=radiologist)


def test_plan_books_urgent_first_and_beats_fcfs(frozen, radiologist):
    rooms = f.centre(radiologist)
    crisis = crisis_start(policy_id=POLICY, actor=radiologist)
    # Fill the first working day so that the order matters: 20 old, non-urgent requests and
    # one recent, urgent one.
    old = [_deferred("facet_infiltration", 60 - i) for i in range(20)]
    urgent = _deferred("facet_infiltration", 5, severe_pain=True, pain_nrs=9)
    crisis_end(crisis=crisis, actor=radiologist)
    plan = plan_create(crisis=crisis, actor=radiologist, weeks=2, time_limit_s=5)

    assert plan.horizon_start == f.NOW.date() + timedelta(days=1)
    items = {i.request_id: i for i in plan.items.all()}
    assert len(items) == 21 and plan.unplanned == 0
    assert items[urgent.pk].day == plan.horizon_start
    assert items[urgent.pk].fcfs_day == plan.horizon_start + timedelta(days=1)
    assert items[urgent.pk].priority_weight > items[old[0].pk].priority_weight
    assert plan.weighted_waiting <= plan.fcfs_weighted_waiting
    assert plan.fcfs_objective >= plan.objective

    result = plan_accept(plan=plan, actor=radiologist)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACCEPTED
    assert result.failed == [] and result.booked == 21
    urgent.refresh_from_db()
    assert urgent.state == RequestState.PROCEDURE_BOOKED
    appt = Appointment.objects.get(request=urgent, status=AppointmentStatus.BOOKED)
    assert appt.kind == AppointmentKind.PROCEDURE
    assert appt.room == rooms["fluoro"]
    assert appt.start.date() == plan.horizon_start
    with pytest.raises(CrisisError):
        plan_accept(plan=plan, actor=radiologist)


def test_not_validated_request_gets_a_consultation(frozen, radiologist):
    f.centre(radiologist)
    crisis = crisis_start(policy_id=POLICY, actor=radiologist)
    req = _deferred("facet_infiltration", 10, validated_at=None)
    crisis_end(crisis=crisis, actor=radiologist)
    plan = plan_create(crisis=crisis, actor=radiologist, weeks=1, time_limit_s=5)
    item = plan.items.get()
    assert item.kind == AppointmentKind.CONSULTATION and item.duration_min == 20
    plan_accept(plan=plan, actor=radiologist)
    req.refresh_from_db()
    assert req.state == RequestState.CONSULTATION_BOOKED


def test_adjust_move_and_remove(frozen, radiologist):
    rooms = f.centre(radiologist)
    crisis = crisis_start(policy_id=POLICY, actor=radiologist)
    a = _deferred("facet_infiltration", 30)
    b = _deferred("facet_infiltration", 20)
    crisis_end(crisis=crisis, actor=radiologist)
    plan = plan_create(crisis=crisis, actor=radiologist, weeks=2, time_limit_s=5)
    item_a = plan.items.get(request=a)
    later = plan.horizon_start + timedelta(days=3)
    item_move(
        item=item_a, day=later, room=rooms["fluoro"], radiologist=radiologist, actor=radiologist
    )
    item_a.refresh_from_db()
    assert item_a.day == later
    plan.refresh_from_db()
    assert plan.recovery_date == later
    with pytest.raises(CrisisError):  # wrong equipment
        item_move(
            item=item_a, day=later, room=rooms["echo"], radiologist=radiologist, actor=radiologist
        )
    with pytest.raises(CrisisError):  # a Saturday: closed
        saturday = plan.horizon_start + timedelta(days=5 - plan.horizon_start.weekday())
        item_move(
            item=item_a,
            day=saturday,
            room=rooms["fluoro"],
            radiologist=radiologist,
            actor=radiologist,
        )
    item_remove(item=plan.items.get(request=b), actor=radiologist)
    plan_accept(plan=plan, actor=radiologist)
    b.refresh_from_db()
    assert b.state == RequestState.DEFERRED


def test_session_minutes_grouped_during_crisis(frozen, radiologist):
    req = f.request("vertebroplasty_tumoral", lesion_count=3)
    assert session_minutes(req) == 90  # no crisis: the catalogue's duration
    crisis_start(policy_id=POLICY, actor=radiologist)
    assert session_minutes(req) == 180  # 90 x (1 + 0.5 x 2)
    single = f.request("vertebroplasty_tumoral")
    assert session_minutes(single, policy_id=POLICY) == 90


def test_priority_weight():
    from geste.pathway.models import ProcedureRequest

    calm = ProcedureRequest(severe_pain=False)
    assert priority_weight(calm, "defer") == 1
    hurt = ProcedureRequest(severe_pain=True, pain_nrs=8, threatening_lesion=True)
    assert priority_weight(hurt, "contraindicated") == 1 + 2 + 2 + 2 + 3
