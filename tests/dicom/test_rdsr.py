"""Reading real X-Ray Radiation Dose SRs (pyskindose's examples) and refusing bad ones."""

from __future__ import annotations

import copy

import pydicom
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element
from pydicom.tag import BaseTag

from geste.dicom import rdsr
from tests.dicom.conftest import PHILIPS, SIEMENS


def _units(ds: Dataset) -> set[str]:
    found = set()
    for item in ds.get("ContentSequence") or []:
        if "MeasuredValueSequence" in item:
            found.add(item.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue)
        found |= _units(item)
    return found


def test_siemens_gym2_spelling_is_read_as_gy_m2() -> None:
    ds = pydicom.dcmread(SIEMENS)
    assert "Gym2" in _units(ds)  # the file really uses the Siemens spelling
    s = rdsr.read(ds)
    # Dose Area Product Total 9.37e-06 Gy·m² in the file = 0.0937 Gy·cm²
    assert s.dap_gy_cm2 == pytest.approx(0.0937, rel=1e-3)
    assert s.rak_mgy == pytest.approx(1.36)
    assert s.fluoro_time_s == pytest.approx(18.0)
    assert len(s.events) == 21
    assert sum(e.dap_gy_cm2 or 0 for e in s.events) == pytest.approx(s.dap_gy_cm2, rel=0.02)
    assert s.events[0].event_type == "Fluoroscopy"
    assert s.events[0].uid.startswith("1.2.826.0.1.3680043.8.498.")


def test_philips_biplane_ucum_spelling() -> None:
    ds = pydicom.dcmread(PHILIPS)
    assert "Gy.m2" in _units(ds) and "Gym2" not in _units(ds)
    s = rdsr.read(ds)
    # Two acquisition planes (B unused): totals add up, in Gy.m2 (UCUM spelling).
    assert s.dap_gy_cm2 == pytest.approx(0.078391, rel=1e-4)
    assert s.rak_mgy == pytest.approx(0.70937, rel=1e-4)
    assert s.fluoro_time_s == pytest.approx(37.0)
    assert s.accession_number == "A202012100754408"
    assert {e.plane for e in s.events} == {"Plane A"}
    assert len(s.events) == 25


def _first_total(ds: Dataset) -> Dataset:
    def code(item: Dataset) -> str:
        return str(item.ConceptNameCodeSequence[0].CodeValue)

    acc = next(i for i in ds.ContentSequence if code(i) == rdsr.ACCUMULATED)
    return next(i for i in acc.ContentSequence if code(i) == rdsr.DAP_TOTAL)


def test_unknown_unit_is_refused_not_guessed() -> None:
    ds = pydicom.dcmread(PHILIPS)
    _first_total(ds).MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue = "R.cm2"
    with pytest.raises(rdsr.RdsrError, match=r"unit 'R\.cm2' not understood"):
        rdsr.read(ds)


def test_negative_dose_is_refused() -> None:
    ds = pydicom.dcmread(PHILIPS)
    _first_total(ds).MeasuredValueSequence[0].NumericValue = "-1"
    with pytest.raises(rdsr.RdsrError, match="out of range"):
        rdsr.read(ds)


def test_not_a_dose_report() -> None:
    ds = copy.deepcopy(pydicom.dcmread(SIEMENS))
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"  # CT Image Storage
    with pytest.raises(rdsr.RdsrError, match="not an X-Ray Radiation Dose SR"):
        rdsr.read(ds)
    ds = pydicom.dcmread(SIEMENS)
    del ds.ContentSequence
    with pytest.raises(rdsr.RdsrError, match="no dose-area product"):
        rdsr.read(ds)


def _mark_undefined(ds: Dataset) -> None:
    for elem in ds:
        if elem.VR == "SQ":
            elem.is_undefined_length = True
            for item in elem.value:
                item.is_undefined_length_sequence_item = True
                _mark_undefined(item)


@pytest.mark.parametrize("implicit", [True, False])
@pytest.mark.parametrize("undefined", [True, False])
def test_content_tree_read_from_its_bytes_in_every_little_endian_encoding(
    implicit: bool, undefined: bool
) -> None:
    """The tree is walked from the element's bytes as received: implicit or explicit VR,
    defined or undefined lengths (units write both) give the same report."""
    expected = rdsr.read(pydicom.dcmread(PHILIPS))
    ds = pydicom.dcmread(PHILIPS)
    if undefined:
        _mark_undefined(ds)
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, implicit
    write_data_element(fp, ds["ContentSequence"], ["iso8859"])
    header = 8 if implicit else 12  # tag, (VR, reserved,) length
    raw = fp.getvalue()[header:]
    if undefined:
        assert raw.endswith(b"\xfe\xff\xdd\xe0\x00\x00\x00\x00")  # really undefined
    tag = 0x0040A730
    length = 0xFFFFFFFF if undefined else len(raw)
    ds[tag] = RawDataElement(BaseTag(tag), "SQ", length, raw, 0, implicit, True, True, False)
    got = rdsr.read(ds)
    assert got == expected and len(got.events) == 25


def test_truncated_content_tree_is_refused() -> None:
    ds = pydicom.dcmread(PHILIPS)
    raw = ds.get_item(0x0040A730)
    ds[0x0040A730] = raw._replace(
        value=raw.value[: len(raw.value) // 2], length=len(raw.value) // 2
    )
    with pytest.raises(rdsr.RdsrError, match="content tree"):
        rdsr.read(ds)
