"""Issue 11, points 3, 4 and 6: discussions that end, patients told of every change, and the
end of the crisis (discussions closed, later answers information only, backlog planned)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from geste.audit.models import AuditEvent
from geste.crisis.discussions import Answer, discussion_answer
from geste.crisis.errors import CrisisError
from geste.crisis.models import Discussion, RecoveryItem
from geste.crisis.recovery import plan_create
from geste.crisis.selectors import telephone_tasks
from geste.crisis.services import crisis_end, crisis_start, decisions_confirm_bulk
from geste.crisis.whatif import run_create, run_execute
from geste.pathway.models import RequestState
from geste.scheduling.models import Appointment, AppointmentStatus
from tests.conftest import client_for
from tests.crisis import factories as f

pytestmark = pytest.mark.django_db
POLICY = "covid19-aphp-2020"


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(f.NOW, tick=True) as traveller:
        yield traveller


def _discuss_all(radiologist, capture):  # type: ignore[no-untyped-def]
    crisis_start(policy_id=POLICY, actor=radiologist)
    run = run_execute(run_create(policy_id=POLICY, actor=radiologist, enqueue=False).pk)
    with capture(execute=True):
        decisions_confirm_bulk(run=run, proposed="discuss", actor=radiologist)
    return run


def _at(days: int) -> datetime:
    return datetime.combine(f.NOW.date() + timedelta(days=days), time(10), tzinfo=f.PARIS)


def test_infiltration_discussed_yes_is_maintained(
    frozen, radiologist, django_capture_on_commit_callbacks
):
    req = f.request("facet_infiltration", severe_pain=True, level3_analgesics="failed")
    _discuss_all(radiologist, django_capture_on_commit_callbacks)
    req.refresh_from_db()
    assert req.state == RequestState.IN_DISCUSSION
    discussion = Discussion.objects.get(request=req)
    discussion_answer(
        discussion=discussion, answer=Answer(clinicians_confirmed=True), actor=None, via="link"
    )
    req.refresh_from_db()
    discussion.refresh_from_db()
    assert req.state == RequestState.VALIDATED and req.clinicians_confirmed is True
    assert discussion.result_decision == "maintain" and discussion.result_rules == ["R2c"]


def test_joint_discussed_no_is_deferred_and_the_patient_told_once(
    frozen, radiologist, django_capture_on_commit_callbacks
):
    rooms = f.centre(radiologist)
    patient = f.make_patient("Bruno", "Genou", email="bruno@example.org")
    req = f.request("peripheral_joint_infiltration", patient=patient, crystal_arthritis=True)
    f.book_procedure(req, rooms["fluoro"], radiologist, _at(5))
    _discuss_all(radiologist, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        discussion_answer(
            discussion=Discussion.objects.get(request=req),
            answer=Answer(clinicians_confirmed=False),
            actor=None,
            via="link",
        )
    req.refresh_from_db()
    assert req.state == RequestState.DEFERRED
    assert not Appointment.objects.filter(request=req, status=AppointmentStatus.BOOKED).exists()
    (told,) = [m for m in mail.outbox if "bruno@example.org" in m.to]
    assert "Genou" not in told.body and "articul" not in told.body.lower()


def test_tumour_confirmed_without_a_reason_is_refused(
    frozen, radiologist, django_capture_on_commit_callbacks
):
    req = f.request("tumor_ablation")
    _discuss_all(radiologist, django_capture_on_commit_callbacks)
    discussion = Discussion.objects.get(request=req)
    with pytest.raises(CrisisError, match="au moins un motif"):
        discussion_answer(
            discussion=discussion, answer=Answer(clinicians_confirmed=True), actor=None, via="link"
        )
    req.refresh_from_db()
    assert req.state == RequestState.IN_DISCUSSION and req.clinicians_confirmed is None


def test_without_referrer_address_a_telephone_task(
    frozen, radiologist, django_capture_on_commit_callbacks
):
    req = f.request(
        "epidural_infiltration", severe_pain=True, level3_analgesics="failed", referring_email=""
    )
    _discuss_all(radiologist, django_capture_on_commit_callbacks)
    assert [d.request_id for d in telephone_tasks()] == [req.pk]
    client = client_for(radiologist)
    home = client.get(reverse("crisis:home")).content.decode()
    assert "Appels à passer" in home
    discussion = Discussion.objects.get(request=req)
    page = client.get(reverse("crisis:discussion", args=[discussion.pk])).content.decode()
    assert "À appeler" in page and "Douleur invalidante" in page
    client.post(
        reverse("crisis:discussion", args=[discussion.pk]),
        {"clinicians_confirmed": "no", "severe_pain": "yes", "level3_analgesics": "failed"},
    )
    req.refresh_from_db()
    assert req.state == RequestState.DEFERRED
    assert Discussion.objects.get(pk=discussion.pk).answered_via == "staff"
    assert not telephone_tasks().exists()


def test_end_of_crisis_closes_discussions_and_plans_them(
    frozen, radiologist, client, django_capture_on_commit_callbacks
):
    f.centre(radiologist)
    req = f.request("vertebroplasty_tumoral")
    mail.outbox.clear()
    crisis = _discuss_all(radiologist, django_capture_on_commit_callbacks).crisis
    (message,) = [m for m in mail.outbox if "martin@example.org" in m.to]
    token = message.body.split("/crise/avis/")[1].split("/")[0]
    crisis = crisis or Discussion.objects.get().decision.run.crisis
    crisis_end(crisis=crisis, actor=radiologist)
    discussion = Discussion.objects.get(request=req)
    assert discussion.closed_at is not None and not discussion.is_open
    assert AuditEvent.objects.filter(action="crisis.discussion_closed").count() == 1
    closed = client.get(reverse("portal:crisis_answer", args=[token]))
    assert (
        closed.status_code == 410 and "La crise sanitaire est terminée" in closed.content.decode()
    )
    # A later answer (given to staff) is recorded as information only.
    discussion_answer(
        discussion=discussion,
        answer=Answer(clinicians_confirmed=False),
        actor=radiologist,
        via="staff",
    )
    req.refresh_from_db()
    discussion.refresh_from_db()
    assert discussion.information_only and discussion.result_decision == ""
    assert req.state == RequestState.IN_DISCUSSION and req.clinicians_confirmed is None
    # The request still in discussion enters the recovery plan from the next working day.
    crisis.refresh_from_db()
    plan = plan_create(crisis=crisis, actor=radiologist, time_limit_s=5)
    item = RecoveryItem.objects.get(plan=plan, request=req)
    assert plan.horizon_start == f.NOW.date() + timedelta(days=1)
    assert item.day is not None and item.earliest < f.NOW.date() + timedelta(days=7)
