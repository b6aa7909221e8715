"""Issue 11, points 1 and 2: triage inputs captured where clinicians work, "unknown" kept as a
real state, the worklist "à compléter", and decisions with missing inputs never applied
silently."""

from __future__ import annotations

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from geste.audit.models import AuditEvent
from geste.clinic.models import Procedure
from geste.crisis.errors import CrisisError
from geste.crisis.jobs import job_create, job_execute, jobs_resume_stale
from geste.crisis.models import CrisisJob, RunStatus
from geste.crisis.services import crisis_start, decision_confirm, decisions_confirm_bulk
from geste.crisis.whatif import run_create, run_execute
from geste.pathway.adapters import case_from_request
from geste.pathway.models import ProcedureRequest, RequestState
from geste.pathway.waitlist import crisis_allows
from geste.rules.policy import load_policy
from tests.conftest import client_for
from tests.crisis import factories as f

pytestmark = pytest.mark.django_db
POLICY = "covid19-aphp-2020"


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(f.NOW, tick=True) as traveller:
        yield traveller


def _run(actor):  # type: ignore[no-untyped-def]
    return run_execute(run_create(policy_id=POLICY, actor=actor, enqueue=False).pk)


def test_a_new_request_knows_nothing_and_the_adapter_says_so(frozen):
    req = f.request("intrathecal_injection", known=False)
    assert req.intrathecal_chemotherapy is None and req.level3_analgesics is None
    case = case_from_request(req)
    assert case.intrathecal_chemotherapy is None and case.severe_pain is None


def test_unknown_chemotherapy_is_to_complete_and_never_bulk_applied(frozen, radiologist):
    unknown = f.request("intrathecal_injection", intrathecal_chemotherapy=None)
    answered = f.request("intrathecal_injection")  # "no" given: defer applies in bulk
    crisis_start(policy_id=POLICY, actor=radiologist)
    run = _run(radiologist)
    d_unknown = run.decisions.get(request=unknown)
    assert d_unknown.proposed == "defer"
    assert d_unknown.missing_inputs == ["intrathecal_chemotherapy"]
    assert run.counts["to_complete"] == 1
    done = decisions_confirm_bulk(run=run, proposed="defer", actor=radiologist)
    assert done["applied"] == 1
    unknown.refresh_from_db()
    answered.refresh_from_db()
    assert unknown.state == RequestState.VALIDATED  # never deferred in bulk
    assert answered.state == RequestState.DEFERRED
    # Nor by the daily machinery, nor by a clinician without a reason.
    with pytest.raises(CrisisError):
        decision_confirm(decision=d_unknown, actor=None, reason="x")
    with pytest.raises(CrisisError, match="motif"):
        decision_confirm(decision=d_unknown, actor=radiologist)
    decision_confirm(decision=d_unknown, actor=radiologist, reason="Pas de chimiothérapie")
    unknown.refresh_from_db()
    assert unknown.state == RequestState.DEFERRED
    event = AuditEvent.objects.filter(action="crisis.decision_confirmed").order_by("pk").last()
    assert event.details["reason"] == "Pas de chimiothérapie"
    assert event.details["missing_inputs"] == ["intrathecal_chemotherapy"]


def test_worklist_row_sets_inputs_and_retriages_at_once(frozen, radiologist):
    req = f.request("intrathecal_injection", intrathecal_chemotherapy=None)
    crisis_start(policy_id=POLICY, actor=radiologist)
    run = _run(radiologist)
    decision = run.decisions.get()
    client = client_for(radiologist)
    page = client.get(reverse("crisis:worklist"))
    html = page.content.decode()
    assert str(req.patient) in html and "Chimiothérapie intrathécale" in html
    assert (
        client.get(reverse("crisis:worklist") + "?q=nobody")
        .content.decode()
        .count('class="input-row"')
        == 0
    )
    row = client.post(
        reverse("crisis:worklist_row", args=[decision.pk]),
        {f"r{decision.pk}-intrathecal_chemotherapy": "yes"},
        HTTP_HX_REQUEST="true",
    )
    assert row.status_code == 200 and "Maintenir" in row.content.decode()
    req.refresh_from_db()
    decision.refresh_from_db()
    run.refresh_from_db()
    assert req.intrathecal_chemotherapy is True
    assert decision.proposed == "maintain" and decision.missing_inputs == []
    assert run.counts["maintain"] == 1 and run.counts["defer"] == 0
    assert run.counts["to_complete"] == 0
    assert str(req.patient) not in client.get(reverse("crisis:worklist")).content.decode()
    assert AuditEvent.objects.filter(action="crisis.inputs_set", actor=radiologist).exists()


def test_request_page_shows_and_saves_the_policy_inputs(frozen, radiologist):
    req = f.request("facet_infiltration", known=False)
    crisis_start(policy_id=POLICY, actor=radiologist)
    client = client_for(radiologist)
    html = client.get(reverse("staff:request_detail", args=[req.pk])).content.decode()
    assert "Données de tri (mode crise)" in html
    assert "tri-severe_pain" in html and "tri-level3_analgesics" in html
    assert "tri-intrathecal_chemotherapy" not in html  # not read for an infiltration
    client.post(
        reverse("crisis:request_inputs", args=[req.pk]),
        {"tri-severe_pain": "yes", "tri-level3_analgesics": "failed"},
    )
    req.refresh_from_db()
    assert req.severe_pain is True and req.level3_analgesics == "failed"
    # "Inconnu" is a real answer: back to unknown.
    client.post(
        reverse("crisis:request_inputs", args=[req.pk]),
        {"tri-severe_pain": "", "tri-level3_analgesics": "failed"},
    )
    req.refresh_from_db()
    assert req.severe_pain is None


def test_intake_records_the_inputs_of_the_chosen_procedure(frozen, radiologist, receptionist):
    crisis_start(policy_id=POLICY, actor=radiologist)
    patient = f.make_patient("Paul", "Intake")
    client = client_for(receptionist)
    page = client.get(reverse("staff:intake")).content.decode()
    assert "tri-intrathecal_chemotherapy" in page
    response = client.post(
        reverse("staff:intake"),
        {
            "patient": patient.pk,
            "procedure": Procedure.objects.get(code="intrathecal_injection").pk,
            "region": "lumbar",
            "referring_physician": "Dr Martin",
            "referral_letter": SimpleUploadedFile(
                "courrier.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", "application/pdf"
            ),
            "tri-intrathecal_chemotherapy": "yes",
            "tri-severe_pain": "yes",  # not read for this procedure: not kept
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    req = ProcedureRequest.objects.get(patient=patient)
    assert req.intrathecal_chemotherapy is True and req.severe_pain is None


def test_waitlist_offers_respect_the_policy(frozen, radiologist):
    kept = f.request("intrathecal_injection", intrathecal_chemotherapy=True)
    deferred_kind = f.request("facet_infiltration")
    policy = load_policy(POLICY)
    assert crisis_allows(kept, policy) and not crisis_allows(deferred_kind, policy)
    assert crisis_allows(deferred_kind, None)  # outside a crisis


def test_bulk_job_is_idempotent_and_resumable(
    frozen, radiologist, django_capture_on_commit_callbacks
):
    for _ in range(3):
        f.request("facet_infiltration")
    crisis_start(policy_id=POLICY, actor=radiologist)
    run = _run(radiologist)
    job = job_create(kind="apply", actor=radiologist, run=run, proposed="defer", total=3)
    # The worker died mid-way: the job stays "running" with an old heartbeat.
    CrisisJob.objects.filter(pk=job.pk).update(
        status=RunStatus.RUNNING, heartbeat_at=f.NOW - f.timedelta(minutes=10)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_resume_stale() == 1
    job.refresh_from_db()
    assert job.status == RunStatus.DONE and job.result["done"]["applied"] == 3
    assert ProcedureRequest.objects.filter(state=RequestState.DEFERRED).count() == 3
    # Run again: nothing left to do, nothing done twice.
    again = job_create(kind="apply", actor=radiologist, run=run, proposed="defer")
    job_execute(again.pk)
    again.refresh_from_db()
    assert again.result["done"]["applied"] == 0
