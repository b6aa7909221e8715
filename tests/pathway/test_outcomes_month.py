"""The one-month pain measure (issue 13, point 6): due `outcome_month_days` after the procedure,
one message by e-mail and SMS through `message_send` (a sent message of kind followup_month,
minimal text and a link to the form), sent once by `pathway_tick`; the answer recorded once,
0-10, while the measure is open (14 days)."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from geste.audit.models import AuditEvent
from geste.clinic import sms
from geste.clinic.models import CentreSettings, MessageKind, SentMessage
from geste.pathway.models import FollowUp, RequestState
from geste.pathway.reminders import due_month_ids
from geste.pathway.services import TransitionError
from geste.pathway.services_after import MONTH_WINDOW, followup_month_answer
from geste.pathway.tasks import send_month_reminder
from tests.pathway.factories import make_request, record

pytestmark = pytest.mark.django_db
PERFORMED = datetime.fromisoformat("2026-03-10T11:00:00+01:00")


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
        alice,
        "facet_infiltration",
        state=RequestState.FOLLOWED_UP,
        validated_by=radiologist,
        pain_nrs=8,
    )
    return FollowUp.objects.create(
        request=req,
        due_at=PERFORMED + timedelta(hours=48),
        answered_at=PERFORMED + timedelta(hours=50),
        pain_now=4,
        month_due_at=PERFORMED + timedelta(days=30),
    )


def _tick() -> str:
    out = StringIO()
    call_command("pathway_tick", stdout=out)
    return out.getvalue()


def test_report_sign_sets_the_month_due_date_from_the_setting(alice, radiologist):
    from geste.pathway.services import request_transition
    from geste.pathway.services_after import report_sign

    centre = CentreSettings.current()
    centre.outcome_month_days = 35
    centre.save()
    req = make_request(alice, "facet_infiltration", state=RequestState.READY)
    with time_machine.travel(PERFORMED, tick=False):
        request_transition(request=req, to_state=RequestState.PERFORMED, actor=radiologist)
        record(req, radiologist)
    with time_machine.travel(PERFORMED + timedelta(hours=2), tick=False):
        report_sign(request=req, actor=radiologist, text="t", conclusion="c")
    assert req.followup.month_due_at == PERFORMED + timedelta(days=35)


@pytest.mark.parametrize(
    ("days", "ok"), [(13, False), (14, True), (30, True), (90, True), (91, False)]
)
def test_the_setting_is_validated(days, ok):  # type: ignore[no-untyped-def]
    centre = CentreSettings.current()
    centre.outcome_month_days = days
    if ok:
        centre.full_clean()
    else:
        with pytest.raises(ValidationError) as exc:
            centre.full_clean()
        assert "outcome_month_days" in exc.value.message_dict


def test_not_sent_before_due(followup):
    with time_machine.travel(followup.month_due_at - timedelta(minutes=1), tick=False):
        assert due_month_ids() == []
        assert "0 one-month" in _tick()
        assert send_month_reminder.enqueue(followup.pk).return_value == 0
    assert mail.outbox == [] and sms.outbox == [] and not SentMessage.objects.exists()


def test_sent_once_through_message_send_with_minimal_content(followup):
    with time_machine.travel(followup.month_due_at + timedelta(minutes=5), tick=False):
        assert "1 one-month questionnaire(s) queued" in _tick()
        assert "0 one-month" in _tick()  # the next cron run finds nothing to do
        assert send_month_reminder.enqueue(followup.pk).return_value == 0  # task re-run
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    rows = SentMessage.objects.filter(patient=followup.request.patient).order_by("channel")
    assert [(m.kind, m.channel, m.status) for m in rows] == [
        (MessageKind.FOLLOWUP_MONTH, "email", "sent"),
        (MessageKind.FOLLOWUP_MONTH, "sms", "sent"),
    ]
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"] and sms.outbox[0].to == "06 12 34 56 78"
    form = reverse("portal:followup_month", args=[followup.pk])
    for text in (message.subject + message.body, sms.outbox[0].body):
        assert "questionnaire" in text
        # A link to the form, after login, from SITE_URL.
        assert "http://127.0.0.1:8000/connexion/?next=" + form.replace("/", "%2F") in text
        # Never the procedure, a drug, the pain or anything clinical.
        for word in ("infiltration", "facet", "articulaire", "geste", "douleur", "rachis"):
            assert word not in text.lower()
    followup.refresh_from_db()
    assert followup.month_reminded_at is not None
    event = AuditEvent.objects.get(action="followup.month_reminded")
    assert event.details == {"channels": ["email", "sms"]}
    # The 48-72 h reminder is not sent again by the one-month run.
    assert not SentMessage.objects.filter(kind=MessageKind.FOLLOWUP_DUE).exists()


def test_link_is_built_from_site_url(followup, settings):
    settings.SITE_URL = "https://geste.example.org/"
    with time_machine.travel(followup.month_due_at + timedelta(minutes=5), tick=False):
        send_month_reminder.enqueue(followup.pk)
    assert "https://geste.example.org/connexion/?next=" in mail.outbox[0].body


def test_long_past_is_never_messaged(followup):
    """A procedure months old (e.g. before the feature) gets no "one-month" message."""
    with time_machine.travel(followup.month_due_at + MONTH_WINDOW, tick=False):
        assert due_month_ids() == []
        assert "0 one-month" in _tick()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "state", [RequestState.CANCELLED, RequestState.PERFORMED, RequestState.IN_DISCUSSION]
)
def test_request_not_reported_gets_no_month_message(followup, state):  # type: ignore[no-untyped-def]
    type(followup.request).objects.filter(pk=followup.request_id).update(state=state)
    with time_machine.travel(followup.month_due_at + timedelta(hours=1), tick=False):
        assert due_month_ids() == []
        assert send_month_reminder.enqueue(followup.pk).return_value == 0
    assert mail.outbox == []


def test_answered_before_the_message_gets_none(followup, alice):
    with time_machine.travel(followup.month_due_at + timedelta(minutes=1), tick=False):
        followup_month_answer(followup=followup, actor=alice.user, pain_month=3)
        assert due_month_ids() == []
        assert send_month_reminder.enqueue(followup.pk).return_value == 0
    assert mail.outbox == []


def test_answer_recorded_once_and_audited(followup, alice):
    with time_machine.travel(followup.month_due_at + timedelta(days=2), tick=False):
        followup_month_answer(followup=followup, actor=alice.user, pain_month=2)
        with pytest.raises(TransitionError):
            followup_month_answer(followup=followup, actor=alice.user, pain_month=9)
        stale = FollowUp.objects.get(pk=followup.pk)
        stale.month_answered_at = None  # a second submission read before the first committed
        with pytest.raises(TransitionError):
            followup_month_answer(followup=stale, actor=alice.user, pain_month=9)
    followup.refresh_from_db()
    assert followup.pain_month == 2 and followup.month_answered_at is not None
    assert AuditEvent.objects.filter(action="followup.month_answered").count() == 1
    assert followup.request.state == RequestState.FOLLOWED_UP  # no state change


@pytest.mark.parametrize(
    ("offset", "pain", "ok"),
    [
        (timedelta(minutes=-1), 3, False),  # not yet due
        (timedelta(0), 0, True),
        (MONTH_WINDOW - timedelta(minutes=1), 10, True),
        (MONTH_WINDOW, 3, False),  # closed: not a one-month value any more
        (timedelta(days=1), 11, False),
        (timedelta(days=1), -1, False),
    ],
)
def test_answer_window_and_range(followup, alice, offset, pain, ok):  # type: ignore[no-untyped-def]
    with time_machine.travel(followup.month_due_at + offset, tick=False):
        if ok:
            followup_month_answer(followup=followup, actor=alice.user, pain_month=pain)
        else:
            with pytest.raises(TransitionError):
                followup_month_answer(followup=followup, actor=alice.user, pain_month=pain)
    followup.refresh_from_db()
    assert (followup.pain_month == pain) is ok


def test_portal_form_records_the_answer(followup, alice, alice_client):  # type: ignore[no-untyped-def]
    url = reverse("portal:followup_month", args=[followup.pk])
    with time_machine.travel(followup.month_due_at + timedelta(days=1), tick=False):
        page = alice_client.get(url)
        assert page.status_code == 200
        assert 'name="pain_month"' in page.content.decode()
        bad = alice_client.post(url, {"pain_month": 12})
        assert bad.status_code == 200 and FollowUp.objects.get(pk=followup.pk).pain_month is None
        done = alice_client.post(url, {"pain_month": 3})
        assert done.status_code == 302 and done["Location"] == reverse("portal:my_results")
        again = alice_client.get(url)
        assert again.status_code == 302
    followup.refresh_from_db()
    assert followup.pain_month == 3
    assert AuditEvent.objects.filter(action="followup.month_answered", actor=alice.user).exists()


def test_portal_form_closed_outside_the_window(followup, alice_client):
    url = reverse("portal:followup_month", args=[followup.pk])
    with time_machine.travel(followup.month_due_at - timedelta(days=1), tick=False):
        assert alice_client.post(url, {"pain_month": 3}).status_code == 302
    followup.refresh_from_db()
    assert followup.pain_month is None


def test_another_patient_gets_404(followup, bob_client):
    url = reverse("portal:followup_month", args=[followup.pk])
    with time_machine.travel(followup.month_due_at + timedelta(days=1), tick=False):
        assert bob_client.get(url).status_code == 404
        assert bob_client.post(url, {"pain_month": 0}).status_code == 404
    followup.refresh_from_db()
    assert followup.pain_month is None


def test_home_shows_the_month_questionnaire_while_open(followup, alice_client):
    link = reverse("portal:followup_month", args=[followup.pk])
    with time_machine.travel(followup.month_due_at + timedelta(hours=1), tick=False):
        assert link in alice_client.get(reverse("portal:home")).content.decode()
    with time_machine.travel(followup.month_due_at + MONTH_WINDOW, tick=False):
        assert link not in alice_client.get(reverse("portal:home")).content.decode()


def test_migration_backfills_the_month_due_date(alice, radiologist):  # type: ignore[no-untyped-def]
    """Follow-ups from before the feature: due one month after the report's procedure date, or
    after the 48-72 h due time less followup_hours when the report has none."""
    import importlib

    from django.apps import apps

    from geste.pathway.models import Report

    migration = importlib.import_module("geste.pathway.migrations.0012_followup_one_month_pain")
    with_date = make_request(alice, "facet_infiltration", state=RequestState.FOLLOWED_UP)
    Report.objects.create(
        request=with_date,
        text="t",
        signed_by=radiologist,
        signed_at=PERFORMED,
        performed_at=PERFORMED,
    )
    a = FollowUp.objects.create(request=with_date, due_at=PERFORMED + timedelta(hours=50))
    without = make_request(alice, "facet_infiltration", state=RequestState.FOLLOWED_UP)
    b = FollowUp.objects.create(request=without, due_at=PERFORMED + timedelta(hours=48))
    migration.backfill_month_due(apps, None)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.month_due_at == PERFORMED + timedelta(days=30)
    assert b.month_due_at == PERFORMED + timedelta(days=30)


def test_the_administrators_page_of_sent_messages_lists_both_kinds(followup, admin_user):  # type: ignore[no-untyped-def]
    """A patient who never answered at 48-72 h: one tick a month later sends the 48-72 h
    reminder and the one-month message, both listed on the page of sent messages."""
    from tests.conftest import client_for

    FollowUp.objects.filter(pk=followup.pk).update(answered_at=None, pain_now=None)
    type(followup.request).objects.filter(pk=followup.request_id).update(
        state=RequestState.REPORTED
    )
    with time_machine.travel(followup.month_due_at + timedelta(minutes=5), tick=False):
        out = _tick()
    assert "1 follow-up reminder(s) queued" in out
    assert "1 one-month questionnaire(s) queued" in out
    kinds = sorted(SentMessage.objects.values_list("kind", "channel"))
    assert kinds == [
        ("followup_due", "email"),
        ("followup_due", "sms"),
        ("followup_month", "email"),
        ("followup_month", "sms"),
    ]
    page = client_for(admin_user).get(reverse("staff:messages")).text
    assert "Suivi à remplir" in page and "Suivi à un mois à remplir" in page
    assert "facet" not in page and "Infiltration" not in page
