"""The whole pathway through the pages (Django test client), state by state."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from geste.audit.models import AuditEvent
from geste.pathway.models import FormularyItem, ProcedureRequest, RequestState, TimeOut
from geste.pathway.report_links import token_hash
from tests.conftest import client_for
from tests.factories import make_patient
from tests.pathway.factories import book, lab

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-03-10T08:00:00+01:00")
CHECKLIST_YES = {
    f"check_{i}": "yes" for i in ("identity", "procedure", "site", "informed", "equipment")
}


def _png() -> SimpleUploadedFile:
    buf = BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, "PNG")
    return SimpleUploadedFile("image.png", buf.getvalue(), content_type="image/png")


@time_machine.travel(NOW, tick=False)
def test_full_pathway(alice, alice_client, bob_client, receptionist, radiologist, technologist):
    rc, dr, tc = client_for(receptionist), client_for(radiologist), client_for(technologist)
    letter = SimpleUploadedFile("courrier.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    from geste.clinic.models import Procedure

    proc = Procedure.objects.get(code="epidural_infiltration")
    r = rc.post(
        reverse("staff:intake"),
        {
            "patient": alice.pk,
            "procedure": proc.pk,
            "referring_physician": "Dr Martin",
            "referral_letter": letter,
            "pain_nrs": 8,
        },
    )
    assert r.status_code == 302, r.content
    req = ProcedureRequest.objects.get(patient=alice)
    url = reverse("staff:request_detail", kwargs={"pk": req.pk})
    assert dr.get(url).status_code == 200
    r = dr.post(
        reverse("staff:consultation", kwargs={"pk": req.pk}),
        {"history": "Lombalgie", "indication": "Radiculalgie L5", "benefit_risk": "favorable"},
    )
    req.refresh_from_db()
    assert req.state == RequestState.CONSULTATION_DONE
    # A receptionist may not decide.
    assert (
        rc.post(
            reverse("staff:decide", kwargs={"pk": req.pk}), {"decision": "validate"}
        ).status_code
        == 403
    )
    dr.post(reverse("staff:decide", kwargs={"pk": req.pk}), {"decision": "validate"})
    req.refresh_from_db()
    assert req.state == RequestState.VALIDATED
    kinds = sorted(p.kind for p in req.prescriptions.all())
    assert kinds == ["blood_test", "products"]
    for p in req.prescriptions.all():
        r = dr.post(reverse("staff:prescription", args=[req.pk, p.pk]), {"sign": "1"})
        assert r.status_code == 302, r.content
    assert all(p.signed_at for p in req.prescriptions.all())
    p = req.prescriptions.first()
    pdf = alice_client.get(reverse("portal:my_pdf_item", args=[req.pk, "ordonnance", p.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (
        bob_client.get(reverse("portal:my_pdf_item", args=[req.pk, "ordonnance", p.pk])).status_code
        == 404
    )

    # Questionnaire by the patient, with fever: booked for 10:00 today.
    r = alice_client.post(
        reverse("portal:questionnaire"),
        {
            "pregnant": "no",
            "takes_anticoagulant": "no",
            "fever": "yes",
            "current_infection": "no",
            "skin_lesion_at_site": "no",
            "med-TOTAL_FORMS": "3",
            "med-INITIAL_FORMS": "0",
        },
    )
    assert r.status_code == 302, r.content
    book(req, NOW + timedelta(hours=2), radiologist)
    req.state = RequestState.PROCEDURE_BOOKED
    req.save()
    lab(alice, NOW - timedelta(days=2))
    assert rc.get(reverse("staff:reception")).status_code == 200
    rc.post(reverse("staff:check_in", kwargs={"pk": req.pk}))
    req.refresh_from_db()
    assert req.state == RequestState.CHECKED_IN
    assert tc.get(reverse("staff:tech_worklist")).status_code == 200
    tc.post(reverse("staff:pregnancy_check", kwargs={"pk": req.pk}), {"answer": "no"})

    # Time-out: fever is no_go -> blocked, stored.
    t_url = reverse("staff:timeout", kwargs={"pk": req.pk})
    page = dr.get(t_url)
    assert b'data-verdict="no_go"' in page.content
    assert tc.post(t_url, CHECKLIST_YES).status_code == 302  # the technologist confirms
    dr.post(t_url, CHECKLIST_YES)
    req.refresh_from_db()
    assert req.state == RequestState.CHECKED_IN
    assert TimeOut.objects.get(request=req).outcome == "blocked"
    # Fever gone: a new questionnaire; now passes.
    alice_client.post(
        reverse("portal:questionnaire"),
        {
            "pregnant": "no",
            "takes_anticoagulant": "no",
            "fever": "no",
            "current_infection": "no",
            "skin_lesion_at_site": "no",
            "med-TOTAL_FORMS": "3",
            "med-INITIAL_FORMS": "0",
        },
    )
    assert b'data-verdict="go"' in dr.get(t_url).content
    dr.post(t_url, CHECKLIST_YES)
    req.refresh_from_db()
    assert req.state == RequestState.READY

    # Record with out-of-range dose refused, then accepted.
    rec = {
        "route": "interlamaire",
        "levels": "L4-L5",
        "side": "median",
        "asepsis": "on",
        "contrast_item": FormularyItem.objects.get(product="Omnipaque 300").pk,
        "contrast_volume_ml": "2",
        "contrast_lot": "A1",
        "confirmation": "epidurography",
        "drug_item": FormularyItem.objects.get(inn="dexaméthasone").pk,
        "drug_dose_mg": "7.5",
        "drug_lot": "B2",
        "fluoroscopy_s": "35",
        "dap_mgy_cm2": "-4",
    }
    r = dr.post(reverse("staff:record", kwargs={"pk": req.pk}), rec)
    assert r.status_code == 200 and "dap_mgy_cm2" in r.context["form"].errors
    rec["dap_mgy_cm2"] = "412.5"
    r = dr.post(reverse("staff:record", kwargs={"pk": req.pk}), rec)
    assert r.status_code == 302
    page = dr.get(reverse("staff:report", kwargs={"pk": req.pk}))
    draft = page.context["form"]["text"].value()
    assert "Radiculalgie L5" in draft
    shown = page.content.decode()  # technique and dose: structured parts, shown apart
    assert "par épidurographie" in shown and "Dexaméthasone 4 mg/mL, 7,5 mg" in shown
    assert "412,5 mGy·cm²" in shown
    dr.post(
        reverse("staff:report", kwargs={"pk": req.pk}),
        {"text": draft, "conclusion": "Geste sans incident."},
    )
    req.refresh_from_db()
    assert req.state == RequestState.REPORTED

    # Patient reads it online; Bob cannot.
    page = alice_client.get(reverse("portal:my_results"))
    assert "412,5" in page.content.decode()
    assert alice_client.get(reverse("portal:my_pdf", args=[req.pk, "sortie"])).status_code == 200
    assert (
        bob_client.get(reverse("portal:my_pdf", args=[req.pk, "compte-rendu"])).status_code == 404
    )
    assert "412,5" not in bob_client.get(reverse("portal:my_results")).content.decode()

    # Key image and secure link.
    dr.post(reverse("staff:image_upload", kwargs={"pk": req.pk}), {"title": "Clé", "file": _png()})
    doc = req.documents.get()
    assert alice_client.get(reverse("portal:my_image", args=[doc.pk])).status_code == 200
    assert bob_client.get(reverse("portal:my_image", args=[doc.pk])).status_code == 404
    r = dr.post(reverse("staff:link_create", kwargs={"pk": req.pk}))
    link_url = r.context["url"]
    token = link_url.rstrip("/").rsplit("/", 1)[1]
    assert req.report.links.get().token_hash == token_hash(token)
    from django.test import Client

    assert Client().get(reverse("portal:shared_report", args=[token])).status_code == 200
    with time_machine.travel(NOW + timedelta(days=15)):
        assert Client().get(reverse("portal:shared_report", args=[token])).status_code == 404

    # Follow-up with a warning sign -> alert on the dashboard.
    fu = req.followup
    assert fu.due_at == NOW + timedelta(hours=48)
    alice_client.post(
        reverse("portal:followup", args=[fu.pk]),
        {"pain_now": 3, "adverse_events": ["severe_headache"]},
    )
    fu.refresh_from_db()
    assert fu.alert and fu.answered_at
    dash = dr.get(reverse("staff:dashboard")).content.decode()
    assert "Mal de tête violent" in dash
    assert AuditEvent.objects.filter(action="document.downloaded", patient=alice).count() >= 3
    outcomes = dr.get(reverse("staff:outcomes")).content.decode()
    assert "<svg" in outcomes and "100 %" in outcomes


def test_illegal_transition_refused(alice, radiologist):
    from geste.pathway.services import TransitionError, request_validate
    from tests.pathway.factories import make_request

    req = make_request(alice)
    with pytest.raises(TransitionError, match="Impossible"):
        request_validate(request=req, actor=radiologist)


def test_foraminal_cannot_be_validated(alice, radiologist):
    from geste.pathway.services import TransitionError, request_validate
    from tests.pathway.factories import make_request

    req = make_request(alice, "foraminal_infiltration", state=RequestState.CONSULTATION_DONE)
    with pytest.raises(TransitionError, match="pas réalisé"):
        request_validate(request=req, actor=radiologist)


def test_young_patient_without_questionnaire_cannot_pass(radiologist):
    p = make_patient("Léa", "Jeune", birth_date=datetime(1996, 1, 1).date(), sex="F")
    from tests.pathway.factories import make_request

    req = make_request(
        p, "facet_infiltration", state=RequestState.CHECKED_IN, validated_by=radiologist
    )
    book(req, datetime.now(NOW.tzinfo), radiologist)
    dr = client_for(radiologist)
    page = dr.get(reverse("staff:timeout", kwargs={"pk": req.pk})).content.decode()
    assert "Questionnaire absent" in page
    from geste.pathway.services import request_transition

    req.state = RequestState.PROCEDURE_BOOKED
    req.save()
    request_transition(request=req, to_state=RequestState.CHECKED_IN, actor=radiologist)
    from geste.clinic.models import Role
    from tests.factories import make_user

    tech = make_user("tech_jeune", Role.TECHNOLOGIST)
    client_for(tech).post(reverse("staff:timeout", kwargs={"pk": req.pk}), CHECKLIST_YES)
    dr.post(
        reverse("staff:timeout", kwargs={"pk": req.pk}),
        {**CHECKLIST_YES, "clear_pregnancy_unknown": "ok"},
    )
    assert TimeOut.objects.get(request=req).outcome == "blocked"
