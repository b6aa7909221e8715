"""Modality worklist queried by dcmtk's findscu with dcmtk's own example queries."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pydicom
import pytest

from geste.dicom import identifiers as ids

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = Path("/usr/share/doc/dcmtk/examples/wlistqry")


def query_file(tmp_path: Path, name: str) -> Path:
    """dcmtk's example query `name`, converted by dump2dcm as its README says."""
    out = tmp_path / f"{name}.dcm"
    subprocess.run(["dump2dcm", str(EXAMPLES / f"{name}.dump"), str(out)], check=True)
    return out


def findscu(
    server: tuple[str, int], query: Path, out_dir: Path, *keys: str, aet: str = "AA2"
) -> tuple[subprocess.CompletedProcess[str], list[pydicom.Dataset]]:
    host, port = server
    out_dir.mkdir(exist_ok=True)
    args = ["findscu", "-W", "-aet", aet, "-aec", "GESTE", "-X", "-od", str(out_dir)]
    for key in keys:
        args += ["-k", key]
    proc = subprocess.run(
        [*args, host, str(port), str(query)], capture_output=True, text=True, timeout=60
    )
    answers = [pydicom.dcmread(p) for p in sorted(out_dir.glob("rsp*.dcm"))]
    return proc, answers


def test_example_query_1_returns_every_item_with_only_the_keys_asked(
    dcmtk: None, dicom_server: tuple[str, int], day: dict[str, Any], tmp_path: Path
) -> None:
    proc, answers = findscu(dicom_server, query_file(tmp_path, "wlistqry1"), tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert len(answers) == 2
    by_name = {str(a.PatientName): a for a in answers}
    bob = by_name["Lefèvre^Bob"]  # UTF-8 end to end: the accent arrives intact
    assert bob.SpecificCharacterSet == "ISO_IR 192"
    appt = day["bob"]
    assert bob.AccessionNumber == ids.accession_number(appt.request_id)
    assert bob.PatientID == ids.patient_id(appt.patient_id)
    assert bob.StudyInstanceUID == ids.study_uid(appt.request_id)
    assert bob.Allergies == "Produit de contraste iodé"  # one value
    assert bob.MedicalAlerts == "Anticoagulant ou antiagrégant"
    assert bob.RequestedProcedureDescription == appt.procedure.label_fr
    # Only what was asked: wlistqry1 asks no pregnancy status, no procedure code sequence.
    assert "PregnancyStatus" not in bob
    assert "RequestedProcedureCodeSequence" not in bob
    # An empty sequence item asks for the whole scheduled step.
    sps = bob.ScheduledProcedureStepSequence[0]
    assert sps.ScheduledStationAETitle == "AA2"
    assert sps.Modality == "XA"
    assert sps.ScheduledProcedureStepStartTime == "090000"
    assert sps.ScheduledProtocolCodeSequence[0].CodeValue == "bone_biopsy"
    assert sps.ScheduledProtocolCodeSequence[0].CodingSchemeDesignator == "99GESTE"


def test_example_query_2_station_and_name_match(
    dcmtk: None, dicom_server: tuple[str, int], day: dict[str, Any], tmp_path: Path
) -> None:
    # wlistqry2 asks for ScheduledStationAETitle AA2 and ScheduledStationName A2.
    proc, answers = findscu(dicom_server, query_file(tmp_path, "wlistqry2"), tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert len(answers) == 2
    sps = answers[0].ScheduledProcedureStepSequence[0]
    assert sps.ScheduledStationName == "A2"
    assert sps.ScheduledPerformingPhysicianName == "Durand^Hélène"
    assert set(sps.keys()) == {
        pydicom.datadict.tag_for_keyword(k)
        for k in (
            "Modality",
            "RequestedContrastAgent",
            "ScheduledStationAETitle",
            "ScheduledProcedureStepStartDate",
            "ScheduledProcedureStepStartTime",
            "ScheduledPerformingPhysicianName",
            "ScheduledProcedureStepDescription",
            "ScheduledProcedureStepID",
            "ScheduledStationName",
            "ScheduledProcedureStepLocation",
            "PreMedication",
            "CommentsOnTheScheduledProcedureStep",
        )
    }
    assert sps.RequestedContrastAgent == ""  # asked, not held: returned empty


def test_example_query_4_other_modality_matches_nothing(
    dcmtk: None, dicom_server: tuple[str, int], day: dict[str, Any], tmp_path: Path
) -> None:
    proc, answers = findscu(dicom_server, query_file(tmp_path, "wlistqry4"), tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert answers == []


def test_example_query_5_afternoon_time_range(
    dcmtk: None, dicom_server: tuple[str, int], day: dict[str, Any], tmp_path: Path
) -> None:
    # wlistqry5 asks for steps starting from 12:00: only Alice's, at 14:30.
    proc, answers = findscu(dicom_server, query_file(tmp_path, "wlistqry5"), tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert [str(a.PatientName) for a in answers] == ["Moreau^Alice"]
    assert answers[0].ScheduledProcedureStepSequence[0].ScheduledProcedureStepID == ids.step_id(
        day["alice"].pk
    )


def test_example_query_10_protocol_code(
    dcmtk: None, dicom_server: tuple[str, int], day: dict[str, Any], tmp_path: Path
) -> None:
    proc, answers = findscu(dicom_server, query_file(tmp_path, "wlistqry10"), tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    codes = {
        str(a.PatientName): a.ScheduledProcedureStepSequence[0].ScheduledProtocolCodeSequence[0]
        for a in answers
    }
    assert codes["Lefèvre^Bob"].CodeValue == "bone_biopsy"
    assert codes["Lefèvre^Bob"].CodeMeaning == day["bob"].procedure.label_fr
    # dcmtk asked for CodeValue; "epidural_infiltration" is longer than a CodeValue (SH, 16
    # characters) can hold: it is not cut, CodeValue comes back empty (the full item, asked
    # with an empty sequence, carries it in LongCodeValue).
    alice = codes["Moreau^Alice"]
    assert alice.CodeValue == ""
    assert alice.CodeMeaning == "Infiltration épidurale"


def test_name_wildcard_and_pregnancy_key(
    dcmtk: None, dicom_server: tuple[str, int], day: dict[str, Any], tmp_path: Path
) -> None:
    proc, answers = findscu(
        dicom_server,
        query_file(tmp_path, "wlistqry3"),
        tmp_path / "out",
        "PatientName=mor*",
        "PregnancyStatus",
        "PatientSex",
    )
    assert proc.returncode == 0, proc.stderr
    assert len(answers) == 1
    assert str(answers[0].PatientName) == "Moreau^Alice"
    assert answers[0].PregnancyStatus == 1  # not pregnant, from her questionnaire
    assert answers[0].PatientSex == "F"


def test_unknown_calling_ae_is_rejected(
    dcmtk: None, dicom_server: tuple[str, int], day: dict[str, Any], tmp_path: Path
) -> None:
    proc, answers = findscu(
        dicom_server, query_file(tmp_path, "wlistqry1"), tmp_path / "out", aet="INTRUDER"
    )
    assert proc.returncode != 0
    assert "Calling AE Title Not Recognized" in proc.stderr + proc.stdout
    assert answers == []
