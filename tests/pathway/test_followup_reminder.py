"""Follow-up reminder: due `followup_hours` after the procedure, one per procedure, minimal
content (no procedure, a login link), sent through `message_send` (so listed as sent messages)
by a task that `geste manage pathway_tick` queues."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from geste.audit.models import AuditEvent
from geste.clinic import sms
from geste.clinic.models import MessageKind, SentMessage
from geste.pathway.models import FollowUp, RequestState
from geste.pathway.reminders import due_followup_ids
from geste.pathway.tasks import send_followup_reminder
from tests.pathway.factories import make_request, record

pytestmark = pytest.mark.django_db
SIGNED = datetime.fromisoformat("2026-03-10T11:00:00+01:00")


@pytest.fixture(autouse=True)
def _clear_outboxes():  # type: ignore[no-untyped-def]
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def followup(alice, radiologist):  # type: ignore[no-untyped-def]
    alice.phone = "06 12 34 56 78"
    alice.email = "alice@example.org"
    alice.save()
    req = make_request(
        alice, "facet_infiltration", state=RequestState.REPORTED, validated_by=radiologist
    )
    return FollowUp.objects.create(request=req, due_at=SIGNED + timedelta(hours=48))


def _tick() -> str:
    out = StringIO()
    call_command("pathway_tick", stdout=out)
    return out.getvalue()


def test_not_sent_before_due(followup):
    with time_machine.travel(followup.due_at - timedelta(minutes=1), tick=False):
        assert due_followup_ids() == []
        assert "0 follow-up" in _tick()
    assert mail.outbox == [] and sms.outbox == []


def test_sent_once_when_due_with_minimal_content(followup):
    with time_machine.travel(followup.due_at + timedelta(minutes=5), tick=False):
        assert "1 follow-up" in _tick()
        assert "0 follow-up" in _tick()  # the next cron run finds nothing to do
        assert send_followup_reminder.enqueue(followup.pk).return_value == 0  # task re-run
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"] and sms.outbox[0].to == "06 12 34 56 78"
    for text in (message.subject + message.body, sms.outbox[0].body):
        assert "questionnaire" in text
        assert "/connexion/?next=%2Fmon-espace%2F" in text
        # Never the procedure nor anything clinical.
        for word in ("infiltration", "articulaire", "geste", "Infiltration", "rachis"):
            assert word not in text
    followup.refresh_from_db()
    assert followup.reminded_at is not None
    event = AuditEvent.objects.get(action="followup.reminded")
    assert event.details == {"channels": ["email", "sms"]}
    # Recorded for the administrators' page of sent messages: one row per channel, no text.
    rows = SentMessage.objects.filter(patient=followup.request.patient).order_by("channel")
    assert [(m.kind, m.channel, m.status) for m in rows] == [
        (MessageKind.FOLLOWUP_DUE, "email", "sent"),
        (MessageKind.FOLLOWUP_DUE, "sms", "sent"),
    ]


def test_every_channel_failing_is_recorded_and_retried_three_times(followup, settings):
    """A mail server and an SMS gateway both down: each try is recorded as failed, the claim
    is released so that the next tick tries again, three tries in all, then it stops."""
    settings.EMAIL_BACKEND = "tests.pathway.test_followup_reminder.FailingBackend"
    settings.GESTE_SMS_BACKEND = "geste.clinic.sms.DisabledSmsBackend"
    with time_machine.travel(followup.due_at + timedelta(minutes=5), tick=False) as clock:
        for _ in range(5):  # cron every 15 minutes
            _tick()
            clock.shift(timedelta(minutes=15))
    rows = SentMessage.objects.filter(kind=MessageKind.FOLLOWUP_DUE)
    assert rows.count() == 6 and set(rows.values_list("status", flat=True)) == {"failed"}
    followup.refresh_from_db()
    assert followup.reminded_at is not None  # given up after three tries: no endless retry
    events = AuditEvent.objects.filter(action="followup.reminded")
    assert events.count() == 3 and all(e.details["failed"] for e in events)


def test_one_channel_failing_is_not_retried(followup, settings):
    settings.GESTE_SMS_BACKEND = "geste.clinic.sms.DisabledSmsBackend"
    with time_machine.travel(followup.due_at + timedelta(minutes=5), tick=False) as clock:
        _tick()
        clock.shift(timedelta(minutes=15))
        _tick()
    assert len(mail.outbox) == 1
    statuses = sorted(
        SentMessage.objects.filter(kind=MessageKind.FOLLOWUP_DUE).values_list("channel", "status")
    )
    assert statuses == [("email", "sent"), ("sms", "failed")]


class FailingBackend:
    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        pass

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("mail server down")


def test_answered_or_followed_up_gets_no_reminder(followup):
    followup.answered_at = followup.due_at
    followup.save()
    with time_machine.travel(followup.due_at + timedelta(hours=1), tick=False):
        assert due_followup_ids() == []
        assert send_followup_reminder.enqueue(followup.pk).return_value == 0
    assert mail.outbox == [] and sms.outbox == []


def test_patient_without_contact_is_marked_without_sending(followup):
    patient = followup.request.patient
    patient.email = ""
    patient.phone = ""
    patient.save()
    with time_machine.travel(followup.due_at + timedelta(hours=1), tick=False):
        assert send_followup_reminder.enqueue(followup.pk).return_value == 0
        assert due_followup_ids() == []
    assert mail.outbox == [] and sms.outbox == []


def test_due_time_is_followup_hours_after_the_procedure(alice, radiologist):
    """report_sign creates the follow-up due `followup_hours` after the `performed` move."""
    from geste.clinic.models import CentreSettings
    from geste.pathway.services import request_transition
    from geste.pathway.services_after import report_sign

    req = make_request(alice, "facet_infiltration", state=RequestState.READY)
    with time_machine.travel(SIGNED, tick=False):
        request_transition(request=req, to_state=RequestState.PERFORMED, actor=radiologist)
        record(req, radiologist)
    with time_machine.travel(SIGNED + timedelta(hours=2), tick=False):
        report_sign(request=req, actor=radiologist, text="t", conclusion="c")
    hours = CentreSettings.current().followup_hours
    assert req.followup.due_at == SIGNED + timedelta(hours=hours)
