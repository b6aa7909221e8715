"""Follow-up alerts reach a person (issue 13, point 3): the radiologist on duty is paged by
e-mail and SMS with no patient data, acknowledges from the dashboard, and an unacknowledged page
escalates to the next on duty after 30 minutes (`pathway_tick`, idempotent)."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from geste.audit.models import AuditEvent
from geste.clinic import sms
from geste.clinic.models import Role, SentMessage
from geste.pathway.alerts import ESCALATE_AFTER, alerts_escalate, on_duty
from geste.pathway.models import AlertPage, DutyShift, FollowUp, RequestState
from geste.pathway.services_after import followup_answer
from tests.conftest import client_for
from tests.factories import make_user
from tests.pathway.factories import make_request

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-03-12T22:00:00+01:00")


@pytest.fixture(autouse=True)
def _clear_outboxes():  # type: ignore[no-untyped-def]
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def duty(db):  # type: ignore[no-untyped-def]
    """Two radiologists on duty tonight: Martin is called first (order 1), then Durand."""
    first = make_user("martin", Role.RADIOLOGIST, last_name="Martin")
    second = make_user("durand", Role.RADIOLOGIST, last_name="Durand")
    start, end = NOW - timedelta(hours=4), NOW + timedelta(hours=10)
    DutyShift.objects.create(radiologist=second, start=start, end=end, order=2, phone="0600000002")
    DutyShift.objects.create(radiologist=first, start=start, end=end, order=1, phone="0600000001")
    return first, second


@pytest.fixture
def followup(alice, duty):  # type: ignore[no-untyped-def]
    req = make_request(alice, "facet_infiltration", state=RequestState.REPORTED)
    return FollowUp.objects.create(request=req, due_at=NOW - timedelta(hours=1))


def _answer_worrying(followup, alice, captured):  # type: ignore[no-untyped-def]
    with captured(execute=True):
        followup_answer(
            followup=followup,
            actor=alice.user,
            pain_now=7,
            adverse_events=["fever"],
            comment="Fièvre à 39 depuis ce matin",
        )


def _tick() -> str:
    out = StringIO()
    call_command("pathway_tick", stdout=out)
    return out.getvalue()


def test_worrying_answer_pages_first_on_duty_without_patient_data(
    followup, alice, duty, django_capture_on_commit_callbacks
):
    first, _second = duty
    with time_machine.travel(NOW, tick=False):
        _answer_worrying(followup, alice, django_capture_on_commit_callbacks)
    page = AlertPage.objects.get()
    assert page.radiologist == first and page.acknowledged_at is None
    assert [m.to for m in mail.outbox] == [["martin@example.org"]]
    assert [s.to for s in sms.outbox] == ["0600000001"]
    link = reverse("staff:dashboard")
    for text in (mail.outbox[0].subject + mail.outbox[0].body, sms.outbox[0].body):
        assert "une alerte de suivi attend votre avis" in text.lower()
        assert link in text
        for word in (
            "Alice",
            "Martin",
            alice.last_name,
            "infiltration",
            "Infiltration",
            "Fièvre",
            "fever",
            "39",
            "geste",
        ):
            assert word not in text
    # The sent-message log keeps no patient and no bare address of the radiologist.
    assert not SentMessage.objects.filter(patient__isnull=False).exists()
    assert SentMessage.objects.filter(kind="alert_page").count() == 2
    event = AuditEvent.objects.get(action="followup.alert_paged")
    assert event.details["radiologist"] == first.pk


def test_answer_without_warning_sign_pages_no_one(
    followup, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        followup_answer(
            followup=followup, actor=alice.user, pain_now=1, adverse_events=[], comment=""
        )
    assert not AlertPage.objects.exists()
    assert mail.outbox == [] and sms.outbox == []


def test_unacknowledged_page_escalates_to_next_after_30_minutes_once(
    followup, alice, duty, django_capture_on_commit_callbacks
):
    first, second = duty
    with time_machine.travel(NOW, tick=False):
        _answer_worrying(followup, alice, django_capture_on_commit_callbacks)
    with time_machine.travel(NOW + ESCALATE_AFTER - timedelta(minutes=1), tick=False):
        assert "0 alert(s) escalated" in _tick()
    assert AlertPage.objects.count() == 1
    with time_machine.travel(NOW + ESCALATE_AFTER + timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert "1 alert(s) escalated" in _tick()
        assert "0 alert(s) escalated" in _tick()  # the next cron run: nothing more
        assert alerts_escalate() == 0
    pages = list(AlertPage.objects.order_by("sent_at"))
    assert [p.radiologist for p in pages] == [first, second]
    assert mail.outbox[-1].to == ["durand@example.org"]
    assert sms.outbox[-1].to == "0600000002"
    assert AuditEvent.objects.filter(action="followup.alert_paged").count() == 2


def test_acknowledge_on_dashboard_stops_escalation(
    followup, alice, duty, django_capture_on_commit_callbacks
):
    first, _second = duty
    with time_machine.travel(NOW, tick=False):
        _answer_worrying(followup, alice, django_capture_on_commit_callbacks)
    client = client_for(first)
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        page = client.get(reverse("staff:dashboard")).content.decode()
        assert reverse("staff:alert_ack", args=[followup.pk]) in page
        response = client.post(reverse("staff:alert_ack", args=[followup.pk]))
    assert response.status_code == 302
    assert AlertPage.objects.get().acknowledged_at == NOW + timedelta(minutes=10)
    assert AuditEvent.objects.filter(action="followup.alert_acknowledged").count() == 1
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        assert "0 alert(s) escalated" in _tick()
    assert AlertPage.objects.count() == 1


def test_technologist_cannot_acknowledge(followup, technologist):
    response = client_for(technologist).post(reverse("staff:alert_ack", args=[followup.pk]))
    assert response.status_code == 403


def test_fallback_without_shift_is_every_active_radiologist_by_username(
    alice, django_capture_on_commit_callbacks
):
    zed = make_user("zed", Role.RADIOLOGIST)
    amy = make_user("amy", Role.RADIOLOGIST)
    make_user("bea", Role.RADIOLOGIST, is_active=False)
    make_user("abel", Role.TECHNOLOGIST)
    assert on_duty(NOW) == [amy, zed]
    req = make_request(alice, "facet_infiltration", state=RequestState.REPORTED)
    followup = FollowUp.objects.create(request=req, due_at=NOW - timedelta(hours=1))
    with time_machine.travel(NOW, tick=False):
        _answer_worrying(followup, alice, django_capture_on_commit_callbacks)
    assert AlertPage.objects.get().radiologist == amy
    assert [m.to for m in mail.outbox] == [["amy@example.org"]]
    assert sms.outbox == []  # no duty phone without a shift


def test_shift_outside_its_hours_is_not_on_duty(duty):
    first, second = duty
    assert on_duty(NOW) == [first, second]
    # After the shift: the fallback, every active radiologist by username.
    assert on_duty(NOW + timedelta(hours=11)) == [second, first]
