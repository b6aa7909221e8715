"""Bad input through pynetdicom's own client: refused with the DICOM status the standard
gives, nothing half-written, logged without patient data."""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from django.conf import settings
from pydicom.dataset import Dataset
from pydicom.uid import ImplicitVRLittleEndian, generate_uid
from pynetdicom import AE, Association
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    CTImageStorage,
    ModalityPerformedProcedureStep,
    ModalityWorklistInformationFind,
    Verification,
    XRayRadiationDoseSRStorage,
)

from geste.audit.models import AuditEvent
from geste.dicom import identifiers as ids
from geste.dicom.models import DoseReport, PerformedStep
from tests.dicom.conftest import SIEMENS

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "Secretname^Patient"


@pytest.fixture
def assoc(dicom_server: tuple[str, int], day: dict[str, Any]) -> Iterator[Association]:
    ae = AE(ae_title="AA2")
    for ctx in (
        Verification,
        ModalityWorklistInformationFind,
        ModalityPerformedProcedureStep,
        XRayRadiationDoseSRStorage,
    ):
        ae.add_requested_context(ctx)
    a = ae.associate(*dicom_server, ae_title="GESTE")
    assert a.is_established
    yield a
    a.release()


def rdsr_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "rdsr"
    return list(root.rglob("*.dcm")) if root.exists() else []


def test_echo(assoc: Association) -> None:
    assert assoc.send_c_echo().Status == 0x0000


def test_unknown_sop_class_is_not_negotiated(dicom_server: tuple[str, int], day: Any) -> None:
    ae = AE(ae_title="AA2")
    ae.add_requested_context(CTImageStorage)
    a = ae.associate(*dicom_server, ae_title="GESTE")
    # No presentation context accepted ("abstract syntax not supported", result 3).
    assert not a.is_established or a.accepted_contexts == []
    if a.is_established:
        a.release()
    assert {c.result for c in a.rejected_contexts} == {0x03}


def test_wrong_called_ae_is_rejected(dicom_server: tuple[str, int], day: Any) -> None:
    ae = AE(ae_title="AA2")
    ae.add_requested_context(Verification)
    a = ae.associate(*dicom_server, ae_title="NOTGESTE")
    assert a.is_rejected
    assert a.acceptor.primitive.diagnostic == 0x07  # called AE title not recognised


def test_unknown_calling_ae_is_rejected_and_logged_by_title_only(
    dicom_server: tuple[str, int], day: Any, caplog: pytest.LogCaptureFixture
) -> None:
    ae = AE(ae_title="ROGUE")
    ae.add_requested_context(Verification)
    with caplog.at_level(logging.WARNING):
        a = ae.associate(*dicom_server, ae_title="GESTE")
    assert a.is_rejected
    assert a.acceptor.primitive.result_source == 0x01
    assert a.acceptor.primitive.diagnostic == 0x03  # calling AE title not recognised


def test_store_not_a_dose_report_is_refused_and_nothing_kept(
    assoc: Association, caplog: pytest.LogCaptureFixture
) -> None:
    ds = pydicom.dcmread(SIEMENS)
    del ds.ContentSequence
    ds.PatientName = SECRET
    with caplog.at_level(logging.INFO):
        status = assoc.send_c_store(ds)
    assert status.Status == 0xC000
    assert DoseReport.objects.count() == 0 and rdsr_files() == []
    assert SECRET.split("^")[0] not in caplog.text
    assert "0xC000" in caplog.text and "AA2" in caplog.text


def test_store_malformed_dataset_is_refused(
    assoc: Association, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    ds = Dataset()
    ds.SOPClassUID = XRayRadiationDoseSRStorage
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = SECRET
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    path = tmp_path / "broken.dcm"
    ds.save_as(path, enforce_file_format=True)
    # Then a content sequence announced as 200 bytes long, of which 6 arrive.
    with path.open("ab") as f:
        f.write(struct.pack("<HHI", 0x0040, 0xA730, 200) + b"\xfe\xff\x00\xe0zz")
    with caplog.at_level(logging.INFO):
        status = assoc.send_c_store(path)  # sent as the file's bytes, undecoded
    assert status.Status == 0xC000
    assert DoseReport.objects.count() == 0 and rdsr_files() == []
    assert "Secretname" not in caplog.text


def test_store_with_unknown_unit_is_refused_with_the_reason_logged(
    assoc: Association, caplog: pytest.LogCaptureFixture
) -> None:
    ds = pydicom.dcmread(SIEMENS)
    for item in ds.ContentSequence:
        if item.ConceptNameCodeSequence[0].CodeValue == "113702":
            for child in item.ContentSequence:
                if "MeasuredValueSequence" in child:
                    child.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue = "R"
    with caplog.at_level(logging.WARNING):
        assert assoc.send_c_store(ds).Status == 0xC000
    assert "not understood" in caplog.text
    assert DoseReport.objects.count() == 0 and AuditEvent.objects.count() == 0


def _find(assoc: Association, query: Dataset) -> list[tuple[int, Dataset | None]]:
    return [
        (status.Status, ident)
        for status, ident in assoc.send_c_find(query, ModalityWorklistInformationFind)
        if status is not None
    ]


def test_find_with_a_bad_date_fails_cleanly(assoc: Association) -> None:
    q = Dataset()
    q.PatientName = ""
    sps = Dataset()
    sps.ScheduledProcedureStepStartDate = "20261345"
    q.ScheduledProcedureStepSequence = [sps]
    assert _find(assoc, q) == [(0xC000, None)]
    sps.ScheduledProcedureStepStartDate = "20260101-20261231"  # longer than 31 days
    assert _find(assoc, q) == [(0xC000, None)]


def test_find_returns_long_codes_in_long_code_value(
    assoc: Association, day: dict[str, Any]
) -> None:
    q = Dataset()
    q.PatientID = ids.patient_id(day["alice"].patient_id)
    q.ScheduledProcedureStepSequence = [Dataset()]
    answers = [d for s, d in _find(assoc, q) if s == 0xFF00]
    assert len(answers) == 1
    code = answers[0].ScheduledProcedureStepSequence[0].ScheduledProtocolCodeSequence[0]
    assert code.LongCodeValue == "epidural_infiltration" and "CodeValue" not in code


def _mpps(status: str, *, with_steps: bool = True, accession: str = "") -> Dataset:
    ds = Dataset()
    ds.PerformedProcedureStepStatus = status
    ds.PatientName = SECRET
    if with_steps:
        item = Dataset()
        item.AccessionNumber = accession
        ds.ScheduledStepAttributesSequence = [item]
    return ds


def test_mpps_refusals(
    assoc: Association, day: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    uid = generate_uid()
    acc = ids.accession_number(day["bob"].request_id)
    with caplog.at_level(logging.WARNING):
        status, _ = assoc.send_n_create(
            _mpps("COMPLETED", accession=acc), ModalityPerformedProcedureStep, uid
        )
        assert status.Status == 0x0106  # only IN PROGRESS at creation
        status, _ = assoc.send_n_create(
            _mpps("IN PROGRESS", with_steps=False), ModalityPerformedProcedureStep, uid
        )
        assert status.Status == 0x0120  # missing attribute
        assert PerformedStep.objects.count() == 0
        status, _ = assoc.send_n_create(
            _mpps("IN PROGRESS", accession=acc), ModalityPerformedProcedureStep, uid
        )
        assert status.Status == 0x0000
        status, _ = assoc.send_n_create(
            _mpps("IN PROGRESS", accession=acc), ModalityPerformedProcedureStep, uid
        )
        assert status.Status == 0x0111  # duplicate instance
        status, _ = assoc.send_n_set(
            _mpps("COMPLETED", with_steps=False), ModalityPerformedProcedureStep, generate_uid()
        )
        assert status.Status == 0x0112  # no such instance
        status, _ = assoc.send_n_set(
            _mpps("FINISHED", with_steps=False), ModalityPerformedProcedureStep, uid
        )
        assert status.Status == 0x0106  # not a status
    assert PerformedStep.objects.get().request_id == day["bob"].request_id
    assert "Secretname" not in caplog.text


def test_deactivated_station_is_refused_at_once(
    dicom_server: tuple[str, int], day: dict[str, Any]
) -> None:
    from geste.dicom import server

    day["station"].active = False
    day["station"].save()
    server.GesteAE._known = (0.0, [])  # a new association re-reads the stations
    ae = AE(ae_title="AA2")
    ae.add_requested_context(Verification)
    a = ae.associate(*dicom_server, ae_title="GESTE")
    assert a.is_rejected


def test_find_accented_name_any_case(assoc: Association, day: dict[str, Any]) -> None:
    for pattern in ("lef*", "LEFÈVRE^*", "Lefèvre^Bob"):
        q = Dataset()
        q.PatientName = pattern
        q.AccessionNumber = ""
        answers = [d for s, d in _find(assoc, q) if s == 0xFF00]
        assert [str(a.PatientName) for a in answers] == ["Lefèvre^Bob"], pattern
        assert set(answers[0].keys()) == {0x00080005, 0x00080050, 0x00100010}
