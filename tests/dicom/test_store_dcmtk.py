"""Dose reports sent by dcmtk's storescu: real RDSR files, matched or kept for staff."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pydicom
import pytest
from django.core import mail
from django.utils import timezone

from geste.audit.models import AuditEvent
from geste.dicom import identifiers as ids
from geste.dicom.models import DoseAlert, DoseReport, MatchMethod
from geste.dicom.selectors import dose_source_text, unmatched_dose_reports
from geste.dicom.services import dose_report_match
from geste.pathway.models import ProcedureRecord
from tests.dicom.conftest import PHILIPS, SIEMENS

pytestmark = pytest.mark.django_db(transaction=True)


def storescu(
    server: tuple[str, int], *files: Path, aet: str = "AA2"
) -> subprocess.CompletedProcess[str]:
    host, port = server
    return subprocess.run(
        ["storescu", "-aet", aet, "-aec", "GESTE", host, str(port), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def as_if_from_worklist(src: Path, dst: Path, appt: Any, **extra: str) -> Path:
    """The file as the unit writes it after working from our worklist: our ids copied in."""
    ds = pydicom.dcmread(src)
    ds.AccessionNumber = ids.accession_number(appt.request_id)
    ds.StudyInstanceUID = ids.study_uid(appt.request_id)
    ds.StudyDate = timezone.localtime(appt.start).strftime("%Y%m%d")
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    for k, v in extra.items():
        setattr(ds, k, v)
    ds.save_as(dst)
    return dst


def test_real_rdsr_without_our_ids_is_kept_unmatched_for_staff(
    dcmtk: None, dicom_server: tuple[str, int], day: dict[str, Any], radiologist: Any
) -> None:
    proc = storescu(dicom_server, SIEMENS)
    assert proc.returncode == 0, proc.stderr
    report = DoseReport.objects.get()
    assert report.request_id is None
    assert report.calling_ae == "AA2"
    assert report.dap_gy_cm2 == pytest.approx(0.0937, rel=1e-3)
    assert report.events.count() == 21
    assert list(unmatched_dose_reports()) == [report]
    event = AuditEvent.objects.get(action="dicom.dose_received")
    assert event.details["matched"] == ""
    # Staff match it by hand: it leaves the list, the record gets its dose.
    bob = day["bob"]
    dose_report_match(report=report, request=bob.request, actor=radiologist)
    report.refresh_from_db()
    assert report.match_method == MatchMethod.MANUAL
    assert report.appointment_id == bob.pk
    assert list(unmatched_dose_reports()) == []
    assert AuditEvent.objects.filter(action="dicom.dose_matched", actor=radiologist).count() == 1


def test_stored_file_is_the_bytes_received(
    dcmtk: None, dicom_server: tuple[str, int], day: dict[str, Any]
) -> None:
    assert storescu(dicom_server, SIEMENS).returncode == 0
    report = DoseReport.objects.get()
    with report.source_file.open("rb") as f:
        stored = pydicom.dcmread(f)
    assert stored.SOPInstanceUID == pydicom.dcmread(SIEMENS).SOPInstanceUID


def test_matched_by_worklist_ids_fills_the_record_with_its_source(
    dcmtk: None,
    dicom_server: tuple[str, int],
    day: dict[str, Any],
    rad: Any,
    tmp_path: Path,
) -> None:
    bob = day["bob"]
    # The record was typed before the report arrived (old workflow): the machine's values win.
    ProcedureRecord.objects.create(
        request=bob.request,
        operator=rad,
        route="postérieure",
        levels="L4",
        side="left",
        fluoroscopy_s=99,
        dap_mgy_cm2=12345,
    )
    sent = as_if_from_worklist(PHILIPS, tmp_path / "rdsr.dcm", bob)
    proc = storescu(dicom_server, sent)
    assert proc.returncode == 0, proc.stderr
    report = DoseReport.objects.get()
    assert report.request_id == bob.request_id
    assert report.match_method == MatchMethod.STUDY_UID
    record = ProcedureRecord.objects.get(request=bob.request)
    assert record.dap_mgy_cm2 == pytest.approx(78.4, abs=0.05)  # 0.0784 Gy·cm²
    assert record.fluoroscopy_s == 37
    filled = AuditEvent.objects.get(action="dicom.record_dose_filled")
    assert filled.details["before"] == {"dap_mgy_cm2": 12345.0, "fluoroscopy_s": 99}
    assert filled.details["reports"] == [report.sop_instance_uid]
    assert report.sop_instance_uid in dose_source_text(bob.request)
    assert DoseAlert.objects.count() == 0  # 0.7 mGy: far below every threshold
    assert mail.outbox == []


def test_matched_by_patient_and_day_when_no_accession(
    dcmtk: None, dicom_server: tuple[str, int], day: dict[str, Any], tmp_path: Path
) -> None:
    alice = day["alice"]
    sent = as_if_from_worklist(
        SIEMENS,
        tmp_path / "rdsr.dcm",
        alice,
        AccessionNumber="",
        StudyInstanceUID=pydicom.uid.generate_uid(),
        PatientID=ids.patient_id(alice.patient_id),
    )
    assert storescu(dicom_server, sent).returncode == 0
    report = DoseReport.objects.get()
    assert report.match_method == MatchMethod.PATIENT_DATE
    assert report.request_id == alice.request_id


def test_same_report_twice_is_stored_once(
    dcmtk: None, dicom_server: tuple[str, int], day: dict[str, Any]
) -> None:
    assert storescu(dicom_server, SIEMENS).returncode == 0
    assert storescu(dicom_server, SIEMENS).returncode == 0
    assert DoseReport.objects.count() == 1
    assert AuditEvent.objects.filter(action="dicom.dose_received").count() == 1


def test_high_skin_dose_alerts_the_radiologist(
    dcmtk: None, dicom_server: tuple[str, int], day: dict[str, Any], tmp_path: Path
) -> None:
    bob = day["bob"]
    ds = pydicom.dcmread(SIEMENS)
    # Reference point air kerma of the report pushed to 3.5 Gy (the unit's own figure, unit Gy).
    for item in ds.ContentSequence:
        if item.ConceptNameCodeSequence[0].CodeValue == "113702":
            for child in item.ContentSequence:
                if child.ConceptNameCodeSequence[0].CodeValue == "113725":
                    child.MeasuredValueSequence[0].NumericValue = "3.5"
    src = tmp_path / "high.dcm"
    ds.save_as(src)
    sent = as_if_from_worklist(src, tmp_path / "sent.dcm", bob)
    assert storescu(dicom_server, sent).returncode == 0
    alert = DoseAlert.objects.get()
    assert alert.kind == "procedure_rak"
    assert alert.value == pytest.approx(3.5)
    assert alert.radiologist == bob.radiologist
    assert "CIPR 85" in alert.source
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "Lefèvre" not in body and bob.procedure.label_fr not in body  # no patient data
    assert timezone.now() - alert.created_at < timedelta(minutes=5)
