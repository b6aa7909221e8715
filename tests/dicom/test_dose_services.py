"""Dose reports without the network: matching by hand, the record's dose and its source,
alerts (per procedure, cumulative over the window), the report's dose text, the NRD page."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pydicom
import pytest
from django.core import mail
from django.utils import timezone

from geste.audit.models import AuditEvent
from geste.clinic.catalogue import CATALOGUE
from geste.dicom import identifiers as ids
from geste.dicom import rdsr
from geste.dicom.alerts import dose_alert_acknowledge, report_dose_text
from geste.dicom.models import AlertKind, DoseAlert, DoseAlertSettings, DoseReport
from geste.dicom.rdsr import DAP_UNITS
from geste.dicom.selectors import (
    NRD_FILE,
    NrdStatus,
    dose_by_room_procedure,
    nrd_levels,
    open_dose_alerts,
    unmatched_dose_reports,
)
from geste.dicom.services import (
    MatchError,
    dose_prefill,
    dose_report_import,
    dose_report_match,
    record_dose_fill,
)
from geste.pathway.models import ProcedureRecord
from tests.dicom.conftest import SIEMENS, procedure_today

pytestmark = pytest.mark.django_db(transaction=True)
BASE = rdsr.read(pydicom.dcmread(SIEMENS))


def receive(
    appt: Any = None, *, rak_mgy: float = 1.0, dap: float = 0.5, days_ago: int = 0
) -> DoseReport:
    when = timezone.localtime() - timedelta(days=days_ago)
    summary = replace(
        BASE,
        sop_instance_uid=pydicom.uid.generate_uid(),
        accession_number=ids.accession_number(appt.request_id) if appt else "",
        study_instance_uid="",
        performed_at=when,
        rak_mgy=rak_mgy,
        dap_gy_cm2=dap,
    )
    report, created = dose_report_import(
        summary=summary, raw=b"DICM", calling_ae="AA2", station=None
    )
    assert created
    return report


def test_manual_match_once_and_record_filled_later(day: dict[str, Any], rad: Any) -> None:
    report = receive()
    assert list(unmatched_dose_reports()) == [report]
    bob = day["bob"]
    assert dose_prefill(bob.request) is None
    dose_report_match(report=report, request=bob.request, actor=rad)
    with pytest.raises(MatchError):
        dose_report_match(report=report, request=day["alice"].request, actor=rad)
    # No record yet: the form gets the values to show (and their source), nothing retyped.
    prefill = dose_prefill(bob.request)
    assert prefill is not None
    assert prefill["dap_mgy_cm2"] == 500.0 and prefill["fluoroscopy_s"] == 18
    assert report.sop_instance_uid in prefill["source"] and "AA2" in prefill["source"]
    assert record_dose_fill(request=bob.request, actor=rad) is False
    ProcedureRecord.objects.create(
        request=bob.request,
        operator=rad,
        route="r",
        levels="L5",
        side="left",
        fluoroscopy_s=0,
        dap_mgy_cm2=0,
    )
    assert record_dose_fill(request=bob.request, actor=rad) is True
    record = ProcedureRecord.objects.get(request=bob.request)
    assert (record.dap_mgy_cm2, record.fluoroscopy_s) == (500.0, 18)
    assert record.reference_air_kerma_mgy == 1.0  # printed on the report (issue 10, point 8)


def test_two_reports_of_one_procedure_add_up(day: dict[str, Any]) -> None:
    bob = day["bob"]
    receive(bob, dap=0.5)
    receive(bob, dap=0.25)
    prefill = dose_prefill(bob.request)
    assert prefill is not None and prefill["dap_mgy_cm2"] == 750.0


def test_procedure_threshold_follows_the_settings(day: dict[str, Any]) -> None:
    cfg = DoseAlertSettings.current()
    cfg.procedure_rak_gy = 1.0
    cfg.procedure_source = "Réglage local du centre"
    cfg.save()
    bob = day["bob"]
    receive(bob, rak_mgy=999)
    assert DoseAlert.objects.count() == 0
    receive(bob, rak_mgy=2)  # the procedure's two reports: 1.001 Gy
    alert = DoseAlert.objects.get()
    assert alert.kind == AlertKind.PROCEDURE_RAK
    assert alert.value == pytest.approx(1.001)
    assert alert.source == "Réglage local du centre"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [bob.radiologist.email]


def test_cumulative_dose_over_the_window(day: dict[str, Any], rad: Any, room: Any) -> None:
    bob = day["bob"]
    cfg = DoseAlertSettings.current()  # defaults: 60 days, 5 Gy, 500 Gy·cm²
    assert (cfg.lookback_days, cfg.cumulative_rak_gy, cfg.cumulative_dap_gy_cm2) == (60, 5, 500)
    earlier = procedure_today(bob.patient, rad, room, 11)
    old = procedure_today(bob.patient, rad, room, 12)
    receive(old, rak_mgy=2500, days_ago=90)  # outside the window
    receive(earlier, rak_mgy=2500, dap=300, days_ago=30)
    assert DoseAlert.objects.count() == 0
    receive(bob, rak_mgy=2600, dap=250)  # 5.1 Gy and 550 Gy·cm² over 60 days
    kinds = dict(DoseAlert.objects.values_list("kind", "value"))
    assert set(kinds) == {AlertKind.CUMULATIVE_RAK, AlertKind.CUMULATIVE_DAP}
    assert kinds[AlertKind.CUMULATIVE_RAK] == pytest.approx(5.1)
    assert kinds[AlertKind.CUMULATIVE_DAP] == pytest.approx(550)
    assert AuditEvent.objects.filter(action="dicom.dose_alert_raised").count() == 2
    text = report_dose_text(bob.request)
    assert text.startswith("Dose délivrée : produit dose-surface 250,00 Gy·cm²")
    assert "kerma dans l'air au point de référence 2600,0 mGy" in text
    assert "temps de scopie 0 min 18 s" in text
    assert "Dose cumulée sur 60 jours" in text and "NCRP Report 168" in text
    alerts = open_dose_alerts(radiologist=bob.radiologist)
    assert len(alerts) == 2
    dose_alert_acknowledge(alert=alerts[0], actor=rad)
    assert len(open_dose_alerts()) == 1
    assert AuditEvent.objects.filter(action="dicom.dose_alert_acknowledged", actor=rad).exists()


def test_skin_follow_up_text(day: dict[str, Any]) -> None:
    bob = day["bob"]
    receive(bob, rak_mgy=3200)
    text = report_dose_text(bob.request)
    assert "Kerma au point de référence de 3,20 Gy, au-delà de 3,0 Gy" in text
    assert "surveillance de la peau" in text and "CIPR 85" in text
    assert report_dose_text(day["alice"].request) == ""


def test_median_per_room_and_procedure_beside_the_nrd(day: dict[str, Any]) -> None:
    for dap in (1.0, 2.0, 4.0):
        receive(day["bob"], dap=dap)
    receive(day["alice"], dap=10.0)
    now = timezone.now()
    rows = dose_by_room_procedure(
        since=now - timedelta(days=1), until=now + timedelta(days=1), levels={"bone_biopsy": 3.0}
    )
    by_code = {r.procedure_code: r for r in rows}
    assert by_code["bone_biopsy"].count == 3
    assert by_code["bone_biopsy"].median_dap_gy_cm2 == 2.0
    assert by_code["bone_biopsy"].nrd_gy_cm2 == 3.0 and by_code["bone_biopsy"].above_nrd is False
    assert by_code["epidural_infiltration"].nrd_gy_cm2 is None  # no level: none shown
    assert by_code["bone_biopsy"].room == "Salle 1"


def test_nrd_table_is_data_with_its_source() -> None:
    table = json.loads(NRD_FILE.read_text(encoding="utf-8"))
    assert "2019-DC-0667" in table["source"]
    assert table["unit"] == "Gy.cm2"
    # Every entry names a catalogue procedure, a level carries its reference, its unit is
    # one we convert; a procedure without a level says why.
    codes = {row[0] for row in CATALOGUE}
    assert set(table["levels"]) <= codes and set(table["no_level"]) <= codes
    assert not set(table["levels"]) & set(table["no_level"])
    for entry in table["levels"].values():
        assert entry["value"] > 0 and entry["ref"] and entry.get("unit", "Gy.cm2") in DAP_UNITS
    assert all(reason.strip() for reason in table["no_level"].values())
    levels = nrd_levels(table)
    assert all(n.status == NrdStatus.LEVEL for c, n in levels.items() if c in table["levels"])


def test_import_is_all_or_nothing(day: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.files.storage import default_storage

    from geste.dicom import services

    def boom(**kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "record_dose_fill", boom)
    uid = pydicom.uid.generate_uid()
    summary = replace(
        BASE, sop_instance_uid=uid, accession_number=ids.accession_number(day["bob"].request_id)
    )
    with pytest.raises(RuntimeError):
        dose_report_import(summary=summary, raw=b"DICM", calling_ae="AA2", station=None)
    assert DoseReport.objects.count() == 0
    assert AuditEvent.objects.filter(action="dicom.dose_received").count() == 0
    assert not default_storage.exists(f"rdsr/{timezone.localdate():%Y/%m}/{uid}.dcm")
    monkeypatch.undo()
    dose_report_import(summary=summary, raw=b"DICM", calling_ae="AA2", station=None)
    assert default_storage.exists(f"rdsr/{timezone.localdate():%Y/%m}/{uid}.dcm")
