"""Crisis pages: roles, what-if with progress, apply in bulk or one by one, the public answer
link, the recovery plan pages and the dashboard (flat query counts)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from geste.audit.models import AuditEvent
from geste.crisis.models import CrisisJob, Discussion, PolicyRun, RunStatus
from geste.crisis.services import crisis_start
from geste.pathway.models import RequestState
from tests.conftest import client_for
from tests.crisis import factories as f

pytestmark = pytest.mark.django_db
POLICY = "covid19-aphp-2020"


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(f.NOW, tick=True) as traveller:
        yield traveller


@pytest.mark.parametrize("name", ["crisis:home", "crisis:dashboard", "crisis:discussions"])
def test_only_clinicians(name, staff_users, alice_client, client):
    url = reverse(name)
    assert client.get(url).status_code == 302
    assert alice_client.get(url).status_code == 403
    for role, user in staff_users.items():
        expected = 200 if role in ("radiologist", "administrator") else 403
        assert client_for(user).get(url).status_code == expected, role


def _whatif(client, django_capture_on_commit_callbacks) -> PolicyRun:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("crisis:whatif"), {"whatif-policy": POLICY})
    assert response.status_code == 302
    return PolicyRun.objects.get()


def test_whatif_page_shows_counts_and_lists(
    frozen, radiologist, django_capture_on_commit_callbacks
):
    f.request("facet_infiltration")
    tumoral = f.request("vertebroplasty_tumoral")
    f.request("vertebroplasty_benign", respiratory_signs=True)
    client = client_for(radiologist)
    run = _whatif(client, django_capture_on_commit_callbacks)
    assert run.status == RunStatus.DONE
    page = client.get(reverse("crisis:run", args=[run.pk]))
    text = page.content.decode()
    assert "3 demandes triées" in text
    assert str(tumoral.patient) in text  # the "to discuss" list is shown first
    assert "déclenchez le mode crise" in text  # no apply buttons without a crisis
    contra = client.get(reverse("crisis:run", args=[run.pk]) + "?decision=contraindicated")
    assert "R1" in contra.content.decode()
    assert AuditEvent.objects.filter(action="crisis.run_read", actor=radiologist).count() == 2


def test_progress_partial_polls_until_done(frozen, radiologist):
    f.request("facet_infiltration")
    from geste.crisis.whatif import run_create, run_execute

    run = run_create(policy_id=POLICY, actor=radiologist, enqueue=False)
    client = client_for(radiologist)
    url = reverse("crisis:run_progress", args=[run.pk]) + "?poll=1"
    queued = client.get(url, HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in queued.content.decode()
    assert "HX-Refresh" not in queued
    run_execute(run.pk)
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


def test_apply_bulk_and_override_from_the_page(
    frozen, radiologist, django_capture_on_commit_callbacks
):
    a = f.request("facet_infiltration")
    b = f.request("epidural_infiltration")
    crisis_start(policy_id=POLICY, actor=radiologist)
    client = client_for(radiologist)
    run = _whatif(client, django_capture_on_commit_callbacks)
    decision_b = run.decisions.get(request=b)
    # Override without a reason: refused, nothing changes.
    url = reverse("crisis:confirm_one", args=[run.pk, decision_b.pk])
    client.post(url, {f"d{decision_b.pk}-final": "maintain", f"d{decision_b.pk}-reason": ""})
    b.refresh_from_db()
    assert b.state == RequestState.VALIDATED
    decision_b.refresh_from_db()
    assert decision_b.outcome == ""
    client.post(url, {f"d{decision_b.pk}-final": "maintain", f"d{decision_b.pk}-reason": "Urgence"})
    decision_b.refresh_from_db()
    assert decision_b.final == "maintain" and decision_b.override_reason == "Urgence"
    # First a page stating the counts; nothing applied yet.
    asked = client.post(reverse("crisis:confirm_bulk", args=[run.pk]), {"proposed": "defer"})
    assert "1 demande recevra cette décision" in asked.content.decode()
    a.refresh_from_db()
    assert a.state == RequestState.VALIDATED
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("crisis:confirm_bulk", args=[run.pk]), {"proposed": "defer", "confirmed": "1"}
        )
    job = CrisisJob.objects.get()
    assert done["Location"] == reverse("crisis:job", args=[job.pk])
    assert job.status == RunStatus.DONE and job.result["done"]["applied"] == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.state == RequestState.DEFERRED and b.state == RequestState.VALIDATED


def _open_discussion(radiologist, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    req = f.request("tumor_ablation")
    crisis_start(policy_id=POLICY, actor=radiologist)
    client = client_for(radiologist)
    run = _whatif(client, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("crisis:confirm_bulk", args=[run.pk]), {"proposed": "discuss", "confirmed": "1"}
        )
    (message,) = mail.outbox
    token = message.body.split("/crise/avis/")[1].split("/")[0]
    return req, token


def test_answer_through_the_link(frozen, radiologist, client, django_capture_on_commit_callbacks):
    req, token = _open_discussion(radiologist, django_capture_on_commit_callbacks)
    url = reverse("portal:crisis_answer", args=[token])
    page = client.get(url)
    assert page.status_code == 200 and str(req.patient) in page.content.decode()
    assert client.get(reverse("portal:crisis_answer", args=["x" + token])).status_code == 404
    response = client.post(
        url, {"clinicians_confirmed": "yes", "local_tumor_control_needed": "yes"}
    )
    assert "Merci" in response.content.decode()
    req.refresh_from_db()
    assert req.state == RequestState.VALIDATED and req.local_tumor_control_needed
    used = client.get(url)  # used once: a page says so
    assert used.status_code == 410 and "déjà été donnée" in used.content.decode()
    answered = Discussion.objects.get()
    assert answered.answered_via == "link" and answered.result_decision == "maintain"


def test_link_expires(frozen, radiologist, client, django_capture_on_commit_callbacks):
    _req, token = _open_discussion(radiologist, django_capture_on_commit_callbacks)
    frozen.shift(timedelta(days=15))
    expired = client.get(reverse("portal:crisis_answer", args=[token]))
    assert expired.status_code == 410 and "a expiré" in expired.content.decode()


def test_staff_enter_the_answer(frozen, radiologist, django_capture_on_commit_callbacks):
    req, _token = _open_discussion(radiologist, django_capture_on_commit_callbacks)
    discussion = Discussion.objects.get()
    client = client_for(radiologist)
    url = reverse("crisis:discussion", args=[discussion.pk])
    assert client.get(url).status_code == 200
    missing = client.post(url, {})
    assert 'role="alert"' in missing.content.decode()
    client.post(url, {"clinicians_confirmed": "no"})
    req.refresh_from_db()
    assert req.state == RequestState.DEFERRED


def test_plan_pages_and_dashboard(
    frozen, radiologist, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    f.centre(radiologist)
    for i in range(6):
        f.request("facet_infiltration" if i % 2 else "vertebroplasty_benign")
    crisis_start(policy_id=POLICY, actor=radiologist)
    client = client_for(radiologist)
    run = _whatif(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("crisis:confirm_bulk", args=[run.pk]), {"proposed": "defer", "confirmed": "1"}
        )
    assert "Confirmer la fin de la crise" in client.get(reverse("crisis:end")).content.decode()
    client.post(reverse("crisis:end"), {"confirmed": "1"})
    asked = client.post(reverse("crisis:plan_create"))
    assert "seront replanifiées" in asked.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("crisis:plan_create"), {"confirmed": "1"})
    job = CrisisJob.objects.get(kind="plan_create")
    assert job.status == RunStatus.DONE
    plan_url = reverse("crisis:plan", args=[job.plan_id])
    page = client.get(plan_url)
    assert page.status_code == 200
    assert "Accepter le plan" in page.content.decode()
    with django_assert_max_num_queries(25):
        dash = client.get(reverse("crisis:dashboard"))
    text = dash.content.decode()
    assert text.count("<svg") == 4  # backlog, decisions over time, per category, waiting
    assert "<polyline" in text and "Plan optimisé" in text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(plan_url + "accepter/", {"confirmed": "1"})
    assert CrisisJob.objects.get(kind="plan_accept").status == RunStatus.DONE
    assert "RDV" in client.get(plan_url).content.decode()


def test_portal_home_shows_the_deferral_notice(frozen, alice, bob, radiologist):
    f.request(
        "facet_infiltration", patient=alice, state=RequestState.DEFERRED, review_on=f.NOW.date()
    )
    html = client_for(alice.user).get(reverse("portal:home")).content.decode()
    assert "reporté" in html and "09/03/2026" in html
    # Bob has nothing deferred: no notice on his home page.
    assert "crisis-notice" not in client_for(bob.user).get(reverse("portal:home")).content.decode()
