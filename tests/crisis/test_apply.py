"""Apply: confirm or override, deferral with appointments released and the patient told,
discussions answered by link or by staff, and the daily review."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from geste.audit.models import AuditEvent
from geste.clinic import sms
from geste.crisis.discussions import Answer, discussion_answer
from geste.crisis.errors import CrisisError
from geste.crisis.models import Discussion, RunKind
from geste.crisis.services import (
    crisis_end,
    crisis_start,
    decision_confirm,
    decisions_confirm_bulk,
    review_due,
)
from geste.crisis.whatif import run_create, run_execute
from geste.pathway.models import RequestState
from geste.scheduling.models import AppointmentStatus
from tests.crisis import factories as f

pytestmark = pytest.mark.django_db
POLICY = "covid19-aphp-2020"


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(f.NOW, tick=False) as traveller:
        yield traveller


def _run(actor):  # type: ignore[no-untyped-def]
    run = run_create(policy_id=POLICY, actor=actor, enqueue=False)
    return run_execute(run.pk)


def test_apply_needs_an_active_crisis(frozen, radiologist):
    f.request("facet_infiltration")
    run = _run(radiologist)
    with pytest.raises(CrisisError):
        decision_confirm(decision=run.decisions.get(), actor=radiologist)


def test_only_one_active_crisis(frozen, admin_user):
    crisis_start(policy_id=POLICY, actor=admin_user)
    with pytest.raises(CrisisError):
        crisis_start(policy_id=POLICY, actor=admin_user)


def test_defer_releases_appointment_and_notifies_minimally(
    frozen, radiologist, django_capture_on_commit_callbacks
):
    rooms = f.centre(radiologist)
    req = f.request("facet_infiltration")
    appt = f.book_procedure(req, rooms["fluoro"], radiologist, f.NOW + timedelta(days=2, hours=3))
    crisis_start(policy_id=POLICY, actor=radiologist)
    run = _run(radiologist)
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decision = decision_confirm(decision=run.decisions.get(), actor=radiologist)

    req.refresh_from_db()
    appt.refresh_from_db()
    assert decision.outcome == "applied" and decision.final == "defer"
    assert req.state == RequestState.DEFERRED
    assert req.review_on == f.NOW.date() + timedelta(days=28)
    assert appt.status == AppointmentStatus.CANCELLED
    run.refresh_from_db()
    assert run.kind == RunKind.APPLIED and run.applied_by == radiologist
    # One minimal message to the patient: no procedure, no diagnosis.
    mine = [m for m in mail.outbox if req.patient.email in m.to]
    assert len(mine) == 1
    text = (mine[0].subject + mine[0].body).lower()
    for word in ("infiltration", "facet", "crise", "report", "covid"):
        assert word not in text
    assert "connectez-vous" in text
    assert len([s for s in sms.outbox if s.to == req.patient.phone]) == 1
    event = AuditEvent.objects.get(action="crisis.decision_confirmed")
    assert event.details["policy"] == POLICY
    assert event.details["version"] == "2.0.0"  # rules revision 2 of the policy
    assert event.details["rules"] == ["R2b"]


def test_override_needs_a_reason_and_is_recorded(frozen, radiologist):
    req = f.request("facet_infiltration")
    crisis_start(policy_id=POLICY, actor=radiologist)
    run = _run(radiologist)
    decision = run.decisions.get()
    with pytest.raises(CrisisError):
        decision_confirm(decision=decision, actor=radiologist, final="maintain")
    decision = decision_confirm(
        decision=decision, actor=radiologist, final="maintain", reason="Douleur rebelle"
    )
    req.refresh_from_db()
    assert req.state == RequestState.VALIDATED
    assert decision.override_reason == "Douleur rebelle"
    assert decision.review_on is None
    assert AuditEvent.objects.filter(action="crisis.decision_overridden").count() == 1
    with pytest.raises(CrisisError):
        decision_confirm(decision=decision, actor=radiologist)


def test_bulk_confirm_skips_requests_that_moved_on(frozen, radiologist):
    a = f.request("facet_infiltration")
    b = f.request("epidural_infiltration")
    crisis_start(policy_id=POLICY, actor=radiologist)
    run = _run(radiologist)
    b.state = RequestState.CANCELLED
    b.save()
    done = decisions_confirm_bulk(run=run, proposed="defer", actor=radiologist)
    assert done == {"applied": 1, "skipped": 1}
    a.refresh_from_db()
    assert a.state == RequestState.DEFERRED


def _discussed(radiologist, django_capture_on_commit_callbacks, **extra):  # type: ignore[no-untyped-def]
    req = f.request("vertebroplasty_tumoral", **extra)
    crisis_start(policy_id=POLICY, actor=radiologist)
    run = _run(radiologist)
    with django_capture_on_commit_callbacks(execute=True):
        decision_confirm(decision=run.decisions.get(), actor=radiologist)
    return req, Discussion.objects.get(request=req)


def test_discuss_opens_a_discussion_with_a_hashed_link(
    frozen, radiologist, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    req, discussion = _discussed(radiologist, django_capture_on_commit_callbacks)
    req.refresh_from_db()
    assert req.state == RequestState.IN_DISCUSSION
    assert discussion.addressed_email == "martin@example.org"
    (message,) = [m for m in mail.outbox if "martin@example.org" in m.to]
    token = message.body.split("/crise/avis/")[1].split("/")[0]
    assert token not in discussion.token_hash and len(discussion.token_hash) == 64
    assert discussion.expires_at == f.NOW + timedelta(days=14)
    assert req.patient.last_name not in message.body


def test_answer_confirmed_with_reason_maintains(
    frozen, radiologist, django_capture_on_commit_callbacks
):
    req, discussion = _discussed(radiologist, django_capture_on_commit_callbacks)
    discussion_answer(
        discussion=discussion,
        answer=Answer(clinicians_confirmed=True, inputs={"threatening_lesion": True}),
        actor=None,
        via="link",
    )
    req.refresh_from_db()
    discussion.refresh_from_db()
    assert req.clinicians_confirmed is True and req.threatening_lesion is True
    assert discussion.result_decision == "maintain" and discussion.result_rules == ["R6a"]
    assert req.state == RequestState.VALIDATED
    with pytest.raises(CrisisError):
        discussion_answer(
            discussion=discussion, answer=Answer(clinicians_confirmed=False), actor=None, via="link"
        )


def test_answer_not_confirmed_defers(frozen, radiologist, django_capture_on_commit_callbacks):
    req, discussion = _discussed(radiologist, django_capture_on_commit_callbacks)
    discussion_answer(
        discussion=discussion,
        answer=Answer(clinicians_confirmed=False),
        actor=radiologist,
        via="staff",
    )
    req.refresh_from_db()
    assert req.state == RequestState.DEFERRED
    assert req.review_on == f.NOW.date() + timedelta(days=28)


def test_review_extends_still_deferred_and_proposes_changes(
    frozen, radiologist, django_capture_on_commit_callbacks
):
    still = f.request("facet_infiltration")
    better = f.request("vertebroplasty_benign", neutropenia=True)
    crisis_start(policy_id=POLICY, actor=radiologist)
    run = _run(radiologist)
    decisions_confirm_bulk(run=run, proposed="defer", actor=radiologist)
    decisions_confirm_bulk(run=run, proposed="contraindicated", actor=radiologist)
    better.refresh_from_db()
    assert better.review_on == f.NOW.date() + timedelta(days=14)
    better.neutropenia = False
    better.bedrest_decline_risk = True
    better.save()

    assert review_due(today=f.NOW.date() + timedelta(days=13)) is None
    review = review_due(today=f.NOW.date() + timedelta(days=14))
    assert review is not None and review.kind == RunKind.REVIEW
    assert review.counts == {"maintain": 1}  # only the due one
    better.refresh_from_db()
    assert better.state == RequestState.DEFERRED  # a change waits for a clinician
    decision = review.decisions.get()
    decision_confirm(decision=decision, actor=radiologist)
    better.refresh_from_db()
    assert better.state == RequestState.VALIDATED and better.review_on is None

    later = f.NOW.date() + timedelta(days=28)
    call_command("crisis_review", today=later)
    still.refresh_from_db()
    assert still.state == RequestState.DEFERRED
    assert still.review_on == later + timedelta(days=28)


def test_review_does_nothing_outside_a_crisis(frozen, radiologist):
    crisis = crisis_start(policy_id=POLICY, actor=radiologist)
    f.request("facet_infiltration", state=RequestState.DEFERRED, review_on=f.NOW.date())
    crisis_end(crisis=crisis, actor=radiologist)
    assert review_due(today=f.NOW.date()) is None
