"""A time-out that is a real checklist (issue 10, point 9; HAS checklist for interventional
radiology): the radiologist AND the technologist confirm identity (two identifiers), procedure,
level and side, information, equipment, before the rules' verdict; each confirmation with who
and when; a "non" stops the procedure (no_go, audited); findings keep their rule and source."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from geste.audit.models import AuditEvent
from geste.pathway.models import RequestState, TimeOut, TimeOutCheck
from geste.pathway.services import TransitionError, request_transition
from geste.pathway.services_day import (
    timeout_checklist_confirm,
    timeout_evaluate,
    timeout_record,
)
from tests.conftest import client_for
from tests.pathway.factories import book, declare, lab, make_request

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-03-10T08:00:00+01:00")
ITEMS = ("identity", "procedure", "site", "informed", "equipment")
YES = dict.fromkeys(ITEMS, True)
POST_YES = {f"check_{i}": "yes" for i in ITEMS}


@pytest.fixture
def arrived(alice, radiologist):  # type: ignore[no-untyped-def]
    req = make_request(
        alice, "facet_infiltration", state=RequestState.PROCEDURE_BOOKED, validated_by=radiologist
    )
    book(req, NOW + timedelta(hours=1), radiologist)
    declare(alice, NOW - timedelta(days=1), request=req, pregnant=False)
    lab(alice, NOW - timedelta(days=2))
    with time_machine.travel(NOW - timedelta(minutes=30), tick=False):
        request_transition(request=req, to_state=RequestState.CHECKED_IN, actor=radiologist)
    return req


@time_machine.travel(NOW, tick=False)
def test_verdict_refused_until_both_confirm(arrived, radiologist, technologist):
    with pytest.raises(TransitionError, match="manipulateur"):
        timeout_record(request=arrived, actor=radiologist, clearances={}, questionnaire_ok=True)
    timeout_checklist_confirm(request=arrived, actor=technologist, answers=YES)
    with pytest.raises(TransitionError, match="radiologue"):
        timeout_record(request=arrived, actor=radiologist, clearances={}, questionnaire_ok=True)
    timeout_checklist_confirm(request=arrived, actor=radiologist, answers=YES)
    t = timeout_record(request=arrived, actor=radiologist, clearances={}, questionnaire_ok=True)
    assert t.outcome == "passed"
    checks = TimeOutCheck.objects.filter(request=arrived)
    assert checks.count() == 10
    assert {(c.role, c.by_id) for c in checks} == {
        ("technologist", technologist.pk),
        ("radiologist", radiologist.pk),
    }
    assert all(c.at == NOW for c in checks)


@time_machine.travel(NOW, tick=False)
def test_every_item_must_be_answered(arrived, technologist):
    with pytest.raises(TransitionError, match="incomplète"):
        timeout_checklist_confirm(
            request=arrived, actor=technologist, answers={**YES, "site": None}
        )
    assert not TimeOutCheck.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_no_stops_the_procedure(arrived, radiologist, technologist):
    timeout_checklist_confirm(request=arrived, actor=technologist, answers={**YES, "site": False})
    t = TimeOut.objects.get(request=arrived)
    assert (t.verdict, t.outcome) == ("no_go", "blocked")
    assert t.findings[0]["code"] == "checklist_mismatch"
    assert AuditEvent.objects.filter(action="timeout.checklist_mismatch").count() == 1
    # Even when everyone says yes afterwards, the procedure stays stopped.
    timeout_checklist_confirm(request=arrived, actor=technologist, answers=YES)
    timeout_checklist_confirm(request=arrived, actor=radiologist, answers=YES)
    with pytest.raises(TransitionError, match="discordance"):
        timeout_record(request=arrived, actor=radiologist, clearances={}, questionnaire_ok=True)
    arrived.refresh_from_db()
    assert arrived.state == RequestState.CHECKED_IN


@time_machine.travel(NOW, tick=False)
def test_findings_carry_rule_and_source(alice, arrived, radiologist, technologist):
    declare(alice, NOW, request=arrived, pregnant=False, fever=True)
    timeout_checklist_confirm(request=arrived, actor=technologist, answers=YES)
    timeout_checklist_confirm(request=arrived, actor=radiologist, answers=YES)
    t = timeout_record(request=arrived, actor=radiologist, clearances={}, questionnaire_ok=True)
    fever = next(f for f in t.findings if f["code"] == "fever")
    assert fever["rule"] and fever["source"]


@time_machine.travel(NOW, tick=False)
def test_timeout_page_checklist_by_both_and_rule_shown(alice, arrived, radiologist, technologist):
    declare(alice, NOW, request=arrived, pregnant=False, fever=True)
    url = reverse("staff:timeout", kwargs={"pk": arrived.pk})
    tc, dr = client_for(technologist), client_for(radiologist)
    page = tc.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "MOREAU Alice" in html and "01/01/1970" in html  # two identifiers
    assert "checked" not in str(page.context["checklist"]["check_identity"])
    assert tc.post(url, POST_YES).status_code == 302
    html = dr.get(url).content.decode()
    fever = next(f for f in timeout_evaluate(arrived).findings if f.code == "fever")
    assert f'data-rule="{fever.rule}"' in html and escape(fever.source) in html
    # The radiologist's post without the checklist records nothing.
    dr.post(url, {})
    assert not TimeOut.objects.filter(request=arrived).exists()
    dr.post(url, POST_YES)
    assert TimeOut.objects.get(request=arrived).verdict == "no_go"  # fever


@time_machine.travel(NOW, tick=False)
def test_timeout_page_no_from_the_technologist_blocks(arrived, radiologist, technologist):
    url = reverse("staff:timeout", kwargs={"pk": arrived.pk})
    client_for(technologist).post(url, {**POST_YES, "check_identity": "no"})
    t = TimeOut.objects.get(request=arrived)
    assert t.outcome == "blocked" and t.verdict == "no_go"
    client_for(radiologist).post(url, POST_YES)
    arrived.refresh_from_db()
    assert arrived.state == RequestState.CHECKED_IN
