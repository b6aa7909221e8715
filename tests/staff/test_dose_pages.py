"""The equipment's dose on staff pages (issue 15): the request page and the record form show
the imported dose with its source (never retyped), unmatched reports are matched by hand,
the median dose per room beside the NRD, dose alerts on the dashboard, read and audited,
and the report's draft carries the dose notes. Each page against THE role table."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from typing import Any

import pydicom
import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone

from geste.audit.models import AuditEvent
from geste.clinic.models import Role, User
from geste.dicom import selectors as dose_selectors
from geste.dicom.alerts import report_dose_text
from geste.dicom.models import AlertKind, DoseAlert, DoseReport, MatchMethod
from geste.dicom.services import dose_report_match
from geste.pathway.formulary import FormularyItem
from geste.pathway.models import ProcedureRecord, ProcedureRequest, RequestState
from geste.patients.models import Patient
from geste.staff.views import dose as dose_views
from geste.web.access import roles_for
from tests.conftest import client_for
from tests.pathway.factories import book, make_request, record

pytestmark = pytest.mark.django_db
_slot = count()
ROLES = (Role.RECEPTIONIST, Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.ADMINISTRATOR)


def dose_report(
    *, dap: float = 0.5, rak: float | None = 12.0, fluoro: float = 18.0, days_ago: int = 0
) -> DoseReport:
    """A dose report as `dose_report_import` keeps one, not yet matched."""
    return DoseReport.objects.create(
        sop_instance_uid=pydicom.uid.generate_uid(),
        calling_ae="FLUORO1",
        manufacturer="Siemens",
        model_name="AXIOM-Artis",
        dicom_patient_name="INCONNU^PATIENT",
        dicom_patient_id="X123",
        performed_at=timezone.now() - timedelta(days=days_ago),
        dap_gy_cm2=dap,
        rak_mgy=rak,
        fluoro_time_s=fluoro,
        source_file="rdsr/test.dcm",
    )


@pytest.fixture(autouse=True)
def _fresh_slots() -> None:
    global _slot
    _slot = count()


def procedure(
    patient: Patient,
    rad: User,
    *,
    state: str = RequestState.READY,
    days: int = 0,
    code: str = "epidural_infiltration",
):
    req = make_request(patient, code, state=state, validated_by=rad)
    # One room and one radiologist: appointments must not overlap (PostgreSQL refuses it).
    book(req, timezone.now() + timedelta(days=days, minutes=5 + 40 * next(_slot)), rad)
    return req


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["staff:dose", "staff:dose_unmatched"])
def test_dose_pages_follow_the_role_table(role: str, name: str, staff_users: Any) -> None:
    got = client_for(staff_users[role]).get(reverse(name)).status_code
    assert got == (200 if role in roles_for(name) else 403)
    assert roles_for("staff:dose_unmatched") == {Role.TECHNOLOGIST, Role.RADIOLOGIST}
    assert roles_for("staff:dose") == {Role.RADIOLOGIST, Role.ADMINISTRATOR}


def test_dose_pages_send_visitors_to_login(client: Any) -> None:
    for name in ("staff:dose", "staff:dose_unmatched"):
        r = client.get(reverse(name))
        assert r.status_code == 302
        assert r["Location"].startswith(resolve_url(settings.LOGIN_URL))


def test_unmatched_report_is_listed_and_matched_by_hand(
    alice: Patient, radiologist: User, technologist: User
) -> None:
    req = procedure(alice, radiologist)
    report = dose_report()
    tech = client_for(technologist)
    page = tech.get(reverse("staff:dose_unmatched"))
    html = page.content.decode()
    assert f'id="report-{report.pk}"' in html and "INCONNU^PATIENT" in html
    (options,) = [opts for r, opts in page.context["rows"] if r == report]
    appt = req.appointments.get()
    assert [pk for pk, _label in options] == [appt.pk]
    assert "Alice" in options[0][1] and "Salle test" in options[0][1]
    (read,) = events("dicom.dose_unmatched_read")
    assert read.actor_id == technologist.pk and read.details == {"reports": [report.pk]}

    r = tech.post(reverse("staff:dose_unmatched"), {"report": report.pk, "appointment": appt.pk})
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.request_id == req.pk and report.appointment_id == appt.pk
    assert report.match_method == MatchMethod.MANUAL and report.matched_by_id == technologist.pk
    (matched,) = events("dicom.dose_matched")
    assert matched.actor_id == technologist.pk and matched.details["request"] == req.pk
    assert (
        f'id="report-{report.pk}"' not in tech.get(reverse("staff:dose_unmatched")).content.decode()
    )


def test_match_refuses_a_procedure_of_another_day_and_a_matched_report(
    alice: Patient, bob: Patient, radiologist: User
) -> None:
    far = procedure(alice, radiologist, days=5)
    report = dose_report()
    dr = client_for(radiologist)
    url = reverse("staff:dose_unmatched")
    r = dr.post(url, {"report": report.pk, "appointment": far.appointments.get().pk}, follow=True)
    assert "Choisissez un geste du jour de ce rapport." in r.content.decode()
    report.refresh_from_db()
    assert report.request_id is None and not events("dicom.dose_matched")
    # Already matched (by the unit, or by a colleague a second earlier): refused, unchanged.
    near = procedure(bob, radiologist)
    dose_report_match(report=report, request=near, actor=radiologist)
    r = dr.post(url, {"report": report.pk, "appointment": near.appointments.get().pk}, follow=True)
    assert "Ce rapport de dose est déjà rattaché." in r.content.decode()
    assert len(events("dicom.dose_matched")) == 1


def _record_post(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "route": "interlamaire",
        "levels": "L4-L5",
        "side": "median",
        "asepsis": "on",
        "confirmation": "epidurography",
        "contrast_item": FormularyItem.objects.get(product="Omnipaque 300").pk,
        "contrast_volume_ml": 2.0,
        "contrast_lot": "A1",
        "drug_item": FormularyItem.objects.get(inn="dexaméthasone").pk,
        "drug_dose_mg": 7.5,
        "drug_lot": "B2",
        "fluoroscopy_s": 35,
        "dap_mgy_cm2": 412.5,
    }
    data.update(over)
    return data


def test_record_form_takes_the_dose_from_the_report_never_retyped(
    alice: Patient, radiologist: User
) -> None:
    req = procedure(alice, radiologist)
    report = dose_report(dap=0.5, rak=12.0, fluoro=18.0)
    dose_report_match(report=report, request=req, actor=radiologist)
    dr = client_for(radiologist)
    url = reverse("staff:record", kwargs={"pk": req.pk})
    page = dr.get(url)
    form = page.context["form"]
    assert form.fields["dap_mgy_cm2"].disabled and form.fields["fluoroscopy_s"].disabled
    assert form["dap_mgy_cm2"].value() == 500.0 and form["fluoroscopy_s"].value() == 18
    html = page.content.decode()
    assert 'id="dose-source"' in html and report.sop_instance_uid in html and "FLUORO1" in html
    # A typed value is ignored: the report's totals are the record's.
    r = dr.post(url, _record_post(dap_mgy_cm2=999, fluoroscopy_s=1))
    assert r.status_code == 302
    rec = ProcedureRecord.objects.get(request=req)
    assert (rec.dap_mgy_cm2, rec.fluoroscopy_s, rec.reference_air_kerma_mgy) == (500.0, 18, 12.0)
    (filled,) = events("dicom.record_dose_filled")
    assert filled.actor_id == radiologist.pk and filled.details["reports"] == [
        report.sop_instance_uid
    ]


def test_record_without_a_report_keeps_the_typed_dose(alice: Patient, radiologist: User) -> None:
    req = procedure(alice, radiologist)
    dr = client_for(radiologist)
    url = reverse("staff:record", kwargs={"pk": req.pk})
    page = dr.get(url)
    assert not page.context["form"].fields["dap_mgy_cm2"].disabled
    assert 'id="dose-source"' not in page.content.decode()
    assert dr.post(url, _record_post()).status_code == 302
    rec = ProcedureRecord.objects.get(request=req)
    assert (rec.dap_mgy_cm2, rec.fluoroscopy_s) == (412.5, 35)
    assert not events("dicom.record_dose_filled")


def test_request_page_shows_the_dose_and_its_source_to_the_care_team(
    alice: Patient, radiologist: User, staff_users: Any
) -> None:
    req = procedure(alice, radiologist)
    url = reverse("staff:request_detail", kwargs={"pk": req.pk})
    tech = client_for(staff_users[Role.TECHNOLOGIST])
    assert "Aucun rapport de dose de l'équipement reçu" in tech.get(url).content.decode()
    report = dose_report(dap=1.25, rak=40.5, fluoro=75.0)
    dose_report_match(report=report, request=req, actor=radiologist)
    html = tech.get(url).content.decode()
    section = html[html.index('id="dose"') :]
    assert "1250 mGy·cm²" in section and "75 s" in section and "40,5 mGy" in section
    assert f"RDSR {report.sop_instance_uid} (FLUORO1, Siemens AXIOM-Artis" in section
    reception = client_for(staff_users[Role.RECEPTIONIST]).get(url).content.decode()
    assert 'id="dose"' not in reception


def _alert(patient: Patient, rad: User) -> tuple[ProcedureRequest, DoseAlert]:
    req = procedure(patient, rad, state=RequestState.PERFORMED)
    report = dose_report(dap=20.0, rak=3500.0, fluoro=900.0)
    dose_report_match(report=report, request=req, actor=rad)
    (alert,) = DoseAlert.objects.filter(report=report)
    assert alert.kind == AlertKind.PROCEDURE_RAK
    return req, alert


def test_dashboard_lists_dose_alerts_and_a_radiologist_marks_one_read(
    alice: Patient, radiologist: User, admin_user: User
) -> None:
    _req, alert = _alert(alice, radiologist)
    dr = client_for(radiologist)
    html = dr.get(reverse("staff:dashboard")).content.decode()
    section = html[html.index('id="dose-alerts"') :]
    ack = reverse("staff:dose_alert_ack", kwargs={"pk": alert.pk})
    assert str(alice) in section and "3,50 Gy pour un seuil de 3,0 Gy" in section
    assert "CIPR 85" in section and ack in section
    # The administrator sees the alert, not the button; a post is refused by the table.
    admin = client_for(admin_user)
    admin_html = admin.get(reverse("staff:dashboard")).content.decode()
    assert str(alice) in admin_html[admin_html.index('id="dose-alerts"') :]
    assert ack not in admin_html
    assert admin.post(ack).status_code == 403
    assert dr.get(ack).status_code == 405
    assert dr.post(ack).status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by_id == radiologist.pk and alert.acknowledged_at is not None
    (seen,) = events("dicom.dose_alert_acknowledged")
    assert seen.actor_id == radiologist.pk and seen.patient_id == alice.pk
    html = dr.get(reverse("staff:dashboard")).content.decode()
    assert "Aucune alerte de dose." in html
    # Twice: said, not audited again.
    assert dr.post(ack, follow=True).status_code == 200
    assert len(events("dicom.dose_alert_acknowledged")) == 1


def test_report_draft_carries_the_dose_notes(alice: Patient, radiologist: User) -> None:
    req = _alert(alice, radiologist)[0]
    record(req, radiologist)
    note = report_dose_text(req)
    assert "surveillance de la peau" in note
    page = client_for(radiologist).get(reverse("staff:report", kwargs={"pk": req.pk}))
    assert page.context["form"].initial["text"].endswith("\n" + note)
    assert 'id="dose-note"' in page.content.decode()


def test_report_draft_without_a_dose_report_has_no_dose_note(
    alice: Patient, radiologist: User
) -> None:
    req = procedure(alice, radiologist, state=RequestState.PERFORMED)
    record(req, radiologist)
    page = client_for(radiologist).get(reverse("staff:report", kwargs={"pk": req.pk}))
    assert "Dose délivrée" not in page.context["form"].initial["text"]
    assert 'id="dose-note"' not in page.content.decode()


def test_dose_page_medians_per_room_beside_the_nrd(
    alice: Patient, bob: Patient, radiologist: User, admin_user: User, monkeypatch: Any
) -> None:
    for patient, dap in ((alice, 1.0), (bob, 3.0), (alice, 2.0)):
        req = procedure(patient, radiologist)
        dose_report_match(report=dose_report(dap=dap), request=req, actor=radiologist)
    dose_report()  # unmatched: not counted
    page = client_for(admin_user).get(reverse("staff:dose"))
    (row,) = page.context["rows"]
    assert (row.room, row.procedure_code, row.count, row.median_dap_gy_cm2) == (
        "Salle test",
        "epidural_infiltration",
        3,
        2.0,
    )
    # The table holds no level yet: unknown, never shown as "no level".
    assert row.nrd_gy_cm2 is None and row.nrd_status == "unknown"
    assert "NRD non vérifié" in page.content.decode() and "pas de NRD" not in page.content.decode()
    # With a transcribed level (the centre's physicist fills nrd.json), the median beside it.
    table = {"source": "ASN 2019-DC-0667", "levels": {"epidural_infiltration": 1.5}}
    monkeypatch.setattr(dose_selectors, "nrd_table", lambda: table)
    monkeypatch.setattr(dose_views, "nrd_table", lambda: table)
    html = client_for(radiologist).get(reverse("staff:dose")).content.decode()
    assert "au-dessus du NRD" in html and "1,50" in html and "ASN 2019-DC-0667" in html
    # A period without reports.
    old = client_for(radiologist).get(
        reverse("staff:dose"), {"du": "2020-01-01", "au": "2020-12-31"}
    )
    assert old.context["rows"] == []


def test_dose_page_nrd_beside_the_median_in_gy_cm2_or_none_or_unknown(
    alice: Patient, bob: Patient, radiologist: User, admin_user: User, monkeypatch: Any
) -> None:
    """A level written in mGy·cm² is compared (and shown) in Gy·cm², the unit reports are
    stored in; a procedure the regulation leaves out says "pas de NRD" with the reason; one
    not transcribed says "NRD non vérifié"."""
    for patient, code, dap in (
        (alice, "epidural_infiltration", 1.2),
        (bob, "epidural_infiltration", 2.0),  # median 1.6 Gy·cm² = 1,600 mGy·cm²
        (alice, "foraminal_infiltration", 0.4),
        (bob, "facet_infiltration", 0.3),
    ):
        req = procedure(patient, radiologist, code=code)
        dose_report_match(report=dose_report(dap=dap), request=req, actor=radiologist)
    table = {
        "source": "ASN 2019-DC-0667",
        "unit": "Gy.cm2",
        "levels": {
            "epidural_infiltration": {"value": 1500, "unit": "mGy.cm2", "ref": "Annexe X, l. 1"}
        },
        "no_level": {"foraminal_infiltration": "acte absent de l'annexe"},
    }
    monkeypatch.setattr(dose_selectors, "nrd_table", lambda: table)
    monkeypatch.setattr(dose_views, "nrd_table", lambda: table)
    page = client_for(admin_user).get(reverse("staff:dose"))
    rows = {r.procedure_code: r for r in page.context["rows"]}
    epidural = rows["epidural_infiltration"]
    assert epidural.median_dap_gy_cm2 == pytest.approx(1.6)
    assert epidural.nrd_gy_cm2 == pytest.approx(1.5) and epidural.above_nrd is True
    assert rows["foraminal_infiltration"].nrd_status == "none"
    assert rows["foraminal_infiltration"].above_nrd is None
    assert rows["facet_infiltration"].nrd_status == "unknown"
    html = page.content.decode()
    cells = html[html.index('id="dose-levels"') :]
    # Median and level side by side, both in Gy·cm² (1500 mGy·cm² shown as 1,50).
    assert "<td>1,60</td><td>1,50<br><small>Annexe X, l. 1</small></td>" in cells
    assert "au-dessus du NRD" in cells
    assert "pas de NRD <small>(acte absent de l&#x27;annexe)</small>" in cells
    assert "NRD non vérifié" in cells
    # A level in a unit nobody knows is refused, not guessed.
    table["levels"] = {"epidural_infiltration": {"value": 3, "unit": "R.cm2"}}
    with pytest.raises(ValueError, match="not understood"):
        dose_selectors.nrd_levels(table)
