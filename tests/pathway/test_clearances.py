"""Clearing a review finding at the time-out takes a category and a reason of at least ten
characters (issue 10, point 6): a one-letter reason clears nothing; what clears is kept with the
time-out (who, when, category, reason) and the time-out is audited."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from geste.audit.models import AuditEvent
from geste.pathway.clearances import ClearanceForm
from geste.pathway.models import RequestState, TimeOut
from geste.pathway.services import request_transition
from geste.pathway.services_day import timeout_checklist_confirm
from tests.conftest import client_for
from tests.pathway.factories import book, declare, lab, make_request

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-03-10T08:00:00+01:00")
ITEMS = ("identity", "procedure", "site", "informed", "equipment")
REASON = "lésion vue ce matin, à distance du point de ponction"


def test_the_form_keeps_only_complete_clearances() -> None:
    form = ClearanceForm.from_post(
        {
            "clear_fever": "x",  # one letter
            "clearcat_fever": "checked_resolved",
            "clear_skin_lesion": REASON,  # no category
            "clear_current_infection": REASON,
            "clearcat_current_infection": "specialist_opinion",
        }
    )
    assert form.clearances() == {"current_infection": f"specialist_opinion: {REASON}"}
    problems = " ".join(form.problems())
    assert "fever" in problems and "10 caractères" in problems
    assert "skin_lesion" in problems
    assert (
        ClearanceForm.from_post({"clear_fever": REASON, "clearcat_fever": "nonsense"}).clearances()
        == {}
    )


@pytest.fixture
def arrived(alice, radiologist, technologist):  # type: ignore[no-untyped-def]
    req = make_request(
        alice, "facet_infiltration", state=RequestState.PROCEDURE_BOOKED, validated_by=radiologist
    )
    book(req, NOW + timedelta(hours=1), radiologist)
    declare(alice, NOW - timedelta(days=1), request=req, pregnant=False, skin_lesion_at_site=True)
    lab(alice, NOW - timedelta(days=2))
    with time_machine.travel(NOW - timedelta(minutes=30), tick=False):
        request_transition(request=req, to_state=RequestState.CHECKED_IN, actor=radiologist)
    with time_machine.travel(NOW, tick=False):
        timeout_checklist_confirm(
            request=req, actor=technologist, answers=dict.fromkeys(ITEMS, True)
        )
    return req


@time_machine.travel(NOW, tick=False)
def test_a_one_letter_reason_does_not_clear_at_the_timeout(arrived, radiologist):  # type: ignore[no-untyped-def]
    client = client_for(radiologist)
    url = reverse("staff:timeout", args=[arrived.pk])
    page = client.get(url).content.decode()
    assert 'name="clearcat_skin_lesion"' in page and 'minlength="10"' in page
    assert 'data-flag="skin"' in page  # the flags panel, on the time-out
    post = {f"check_{i}": "yes" for i in ITEMS}
    client.post(url, {**post, "clear_skin_lesion": "x", "clearcat_skin_lesion": "other"})
    arrived.refresh_from_db()
    assert arrived.state == RequestState.CHECKED_IN
    assert TimeOut.objects.get(request=arrived).outcome == "blocked"
    client.post(url, {**post, "clear_skin_lesion": REASON, "clearcat_skin_lesion": "other"})
    arrived.refresh_from_db()
    assert arrived.state == RequestState.READY
    passed = TimeOut.objects.filter(request=arrived, outcome="passed").get()
    assert passed.clearances == {"skin_lesion": f"other: {REASON}"}
    assert passed.radiologist == radiologist
    assert AuditEvent.objects.filter(action="timeout.passed").count() == 1
    assert AuditEvent.objects.filter(action="timeout.blocked").count() == 1
