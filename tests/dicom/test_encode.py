"""C-FIND answers written straight to bytes (`Query.encode`) are byte for byte what pydicom
writes for the same answer as a Dataset (`Query.project`), in both Little Endian transfer
syntaxes; and the server hands those bytes to pynetdicom only for those syntaxes."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pynetdicom.dsutils import decode

from geste.dicom import server
from geste.dicom.matching import Item, Query

ITEM: Item = {
    "PatientName": "Lefèvre^Bob",  # accent: UTF-8, odd byte length once encoded
    "PatientID": "GP12",
    "IssuerOfPatientID": "GESTE",
    "PatientBirthDate": "19600101",
    "PatientSex": "M",
    "MedicalAlerts": ["Anticoagulant ou antiagrégant", "Fièvre"],  # two values
    "Allergies": [],  # asked and unknown: zero length
    "PregnancyStatus": 4,
    "AccessionNumber": "R7",
    "StudyInstanceUID": "2.25.123",  # odd: padded with NUL
    "RequestedProcedureCodeSequence": [
        {
            "CodeValue": "facet_infiltration",
            "CodingSchemeDesignator": "99GESTE",
            "CodeMeaning": "Infiltration articulaire postérieure",
        }
    ],
    "ScheduledProcedureStepSequence": [
        {
            "Modality": "RF",
            "ScheduledStationAETitle": "FLUORO1",
            "ScheduledStationName": "",
            "ScheduledProcedureStepStartDate": "20261202",
            "ScheduledProcedureStepStartTime": "081500",
            "ScheduledPerformingPhysicianName": "Martin^Anne",
            "ScheduledProcedureStepDescription": "Infiltration",
            "ScheduledProtocolCodeSequence": [
                {
                    "LongCodeValue": "vertebroplasty_tumoral",
                    "CodingSchemeDesignator": "99GESTE",
                    "CodeMeaning": "Vertébroplastie",
                }
            ],
            "ScheduledProcedureStepID": "S7",
            "ScheduledProcedureStepLocation": "Salle 1",
            "ScheduledProcedureStepStatus": "SCHEDULED",
        }
    ],
}


def _query(*, whole_step: bool, pregnant: Any = None, male_only: bool = False) -> Dataset:
    q = Dataset()
    for kw in ("PatientName", "PatientID", "PatientBirthDate", "AccessionNumber"):
        setattr(q, kw, "")
    for kw in ("StudyInstanceUID", "MedicalAlerts", "Allergies", "ReferringPhysicianName"):
        setattr(q, kw, "")
    q.PatientSex = "M" if male_only else ""
    q.PregnancyStatus = pregnant
    code = Dataset()
    code.CodeValue = code.CodeMeaning = code.CodingSchemeDesignator = ""
    q.RequestedProcedureCodeSequence = [code]
    sps = Dataset()
    if not whole_step:
        sps.ScheduledStationAETitle = "FLUORO1"
        sps.ScheduledProcedureStepStartDate = "20261202"
        for kw in ("ScheduledProcedureStepStartTime", "Modality", "ScheduledProcedureStepID"):
            setattr(sps, kw, "")
        sub = Dataset()
        sub.CodeValue = sub.LongCodeValue = sub.CodeMeaning = ""
        sps.ScheduledProtocolCodeSequence = [sub]
    q.ScheduledProcedureStepSequence = [sps]
    return q


@pytest.mark.parametrize("implicit", [True, False])
@pytest.mark.parametrize(
    "query",
    [
        _query(whole_step=False),
        _query(whole_step=True),  # an empty item asks for the whole step
        _query(whole_step=False, pregnant=0, male_only=True),
    ],
)
def test_encoded_answer_is_what_pydicom_writes(query: Dataset, implicit: bool) -> None:
    q = Query(query)
    assert q.fast and q.matches(ITEM)
    ours = q.encode(ITEM, implicit=implicit)
    assert ours == server._pynetdicom_encode(q.project(ITEM), implicit, True, False)
    back = decode(BytesIO(ours), implicit, True, False)
    assert str(back.PatientName) == "Lefèvre^Bob" and back.SpecificCharacterSet == "ISO_IR 192"
    assert list(back.MedicalAlerts) == ["Anticoagulant ou antiagrégant", "Fièvre"]


def test_server_hands_the_bytes_only_for_their_own_syntax() -> None:
    q = Query(_query(whole_step=False))
    raw = q.encode(ITEM, implicit=True)
    enc = server.Encoded(raw, True)
    assert server._encode(enc, True, True, False) == raw
    # Another syntax (explicit, big endian, deflated): pynetdicom's own encoding of the
    # Dataset, never bytes of the wrong syntax (an Encoded is empty: nothing to write).
    assert server._encode(enc, False, True, False) == b""
    assert server._encode(enc, True, False, False) == b""
    # A query holding a VR the encoder does not write is answered through pydicom.
    odd = _query(whole_step=False)
    odd.add_new(0x00101030, "DS", "")  # PatientWeight: DS is written, stays fast
    odd.add_new(0x00420011, "OB", b"")  # EncapsulatedDocument: not written by us
    assert Query(_query(whole_step=False)).fast and not Query(odd).fast
