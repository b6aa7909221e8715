"""Read an X-Ray Radiation Dose SR (DICOM PS3.16 TID 10001) into plain numbers.

Totals come from the Accumulated X-Ray Dose containers (TID 10002, one per acquisition
plane: a biplane unit writes two, and we add them), events from the Irradiation Event X-Ray
Data containers (TID 10003). Units are converted from what the file says, in both spellings
of the dose-area product (UCUM `Gy.m2`, and the `Gym2` some Siemens units write).
An unknown unit or a missing dose-area product raises `RdsrError`: nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from pydicom.dataset import Dataset

from geste import PARIS

XRAY_RDSR = "1.2.840.10008.5.1.4.1.1.88.67"
ENHANCED_XRAY_RDSR = "1.2.840.10008.5.1.4.1.1.88.76"
RDSR_CLASSES = frozenset({XRAY_RDSR, ENHANCED_XRAY_RDSR})

# DCM concept codes (PS3.16 Annex D).
ROOT = "113701"  # X-Ray Radiation Dose Report
ACCUMULATED = "113702"  # Accumulated X-Ray Dose Data
EVENT = "113706"  # Irradiation Event X-Ray Data
PLANE = "113764"  # Acquisition Plane
DAP_TOTAL = "113722"
RAK_TOTAL = "113725"  # Dose (RP) Total: reference point air kerma
FLUORO_DAP_TOTAL = "113726"
ACQ_DAP_TOTAL = "113727"
FLUORO_TIME = "113730"
EVENT_UID = "113769"
EVENT_TYPE = "113721"
STARTED = "111526"
DAP = "122130"
RAK = "113738"  # Dose (RP)
DURATION = "113742"

# Multipliers to the units we keep: Gy·cm², mGy, s.
DAP_UNITS = {
    "Gy.m2": 1e4,
    "Gym2": 1e4,  # Siemens
    "Gy.cm2": 1.0,
    "dGy.cm2": 0.1,
    "cGy.cm2": 0.01,
    "mGy.cm2": 1e-3,
    "uGy.m2": 1e-2,
    "uGy.cm2": 1e-6,
}
DOSE_UNITS = {"Gy": 1e3, "dGy": 100.0, "cGy": 10.0, "mGy": 1.0, "uGy": 1e-3}
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "min": 60.0, "h": 3600.0}


class RdsrError(ValueError):
    """The file is not a dose report we can read; the message names what is wrong."""


@dataclass
class Event:
    uid: str = ""
    started_at: datetime | None = None
    event_type: str = ""
    plane: str = ""
    dap_gy_cm2: float | None = None
    rak_mgy: float | None = None
    duration_s: float | None = None


@dataclass
class DoseSummary:
    sop_class_uid: str
    sop_instance_uid: str
    study_instance_uid: str = ""
    accession_number: str = ""
    patient_id: str = ""
    patient_name: str = ""
    birth_date: date | None = None
    performed_at: datetime | None = None
    manufacturer: str = ""
    model_name: str = ""
    dap_gy_cm2: float = 0.0
    fluoro_dap_gy_cm2: float | None = None
    acquisition_dap_gy_cm2: float | None = None
    rak_mgy: float | None = None
    fluoro_time_s: float | None = None
    events: list[Event] = field(default_factory=list)


def _code(item: Dataset, keyword: str = "ConceptNameCodeSequence") -> str:
    seq = item.get(keyword)
    if not seq:
        return ""
    first = seq[0]
    return str(first.get("CodeValue") or first.get("LongCodeValue") or "")


def _meaning(item: Dataset) -> str:
    seq = item.get("ConceptCodeSequence")
    return str(seq[0].get("CodeMeaning", "")) if seq else ""


def _children(item: Dataset) -> Iterator[Dataset]:
    yield from item.get("ContentSequence") or []


CONCEPT_NAME = 0x0040A043  # ConceptNameCodeSequence
EVENT_CODES = (EVENT_UID, STARTED, EVENT_TYPE, PLANE, DAP, RAK, DURATION)
_EVENT_BYTES = tuple(c.encode() for c in EVENT_CODES)


def _may_be(item: Dataset, wanted: tuple[bytes, ...]) -> bool:
    """Cheap pre-filter: does the still-undecoded concept name hold one of our codes?

    An event holds ~40 content items and we read 7; decoding every concept name sequence
    is what made a 1.2 MB report take seconds (pydicom builds a Dataset per item). The raw
    bytes are searched first; a hit is then decoded and checked for real."""
    raw = item.get_item(CONCEPT_NAME)
    value = getattr(raw, "value", None)
    if isinstance(value, bytes):
        return any(code in value for code in wanted)
    return True  # already decoded (built in memory): check it the normal way


def _num(item: Dataset, units: dict[str, float]) -> float:
    mv = item.get("MeasuredValueSequence")
    if not mv:
        raise RdsrError(f"concept {_code(item)} has no measured value")
    value = mv[0]
    unit_seq = value.get("MeasurementUnitsCodeSequence")
    unit = str(unit_seq[0].get("CodeValue", "")) if unit_seq else ""
    if unit not in units:
        raise RdsrError(f"concept {_code(item)}: unit {unit!r} not understood")
    try:
        number = float(value.NumericValue)
    except (AttributeError, TypeError, ValueError) as e:
        raise RdsrError(f"concept {_code(item)}: numeric value unreadable") from e
    if number != number or number < 0:  # NaN or negative
        raise RdsrError(f"concept {_code(item)}: value out of range")
    return number * units[unit]


def _dicom_datetime(value: str) -> datetime | None:
    value = (value or "").strip()
    if len(value) < 8:
        return None
    try:
        # The units run on local time and write no offset.
        return datetime.strptime(value[:14].ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=PARIS)
    except ValueError:
        return None


def _dicom_date(value: object) -> date | None:
    text = str(value or "").strip()
    try:
        return date.fromisoformat(f"{text[:4]}-{text[4:6]}-{text[6:]}") if len(text) == 8 else None
    except ValueError:
        return None


def _add(current: float | None, extra: float) -> float:
    return extra if current is None else current + extra


def _event(item: Dataset) -> Event:
    ev = Event()
    for child in _children(item):
        if not _may_be(child, _EVENT_BYTES):
            continue
        code = _code(child)
        if code == EVENT_UID:
            ev.uid = str(child.get("UID", ""))
        elif code == STARTED:
            ev.started_at = _dicom_datetime(str(child.get("DateTime", "")))
        elif code == EVENT_TYPE:
            ev.event_type = _meaning(child)[:64]
        elif code == PLANE:
            ev.plane = _meaning(child)[:32]
        elif code == DAP:
            ev.dap_gy_cm2 = _num(child, DAP_UNITS)
        elif code == RAK:
            ev.rak_mgy = _num(child, DOSE_UNITS)
        elif code == DURATION:
            ev.duration_s = _num(child, TIME_UNITS)
    return ev


def read(ds: Dataset) -> DoseSummary:
    """The dose report's totals and events; `RdsrError` if it is not one we can trust."""
    sop_class = str(ds.get("SOPClassUID", ""))
    if sop_class not in RDSR_CLASSES:
        raise RdsrError("not an X-Ray Radiation Dose SR")
    if _code(ds) != ROOT:
        raise RdsrError("root concept is not an X-Ray Radiation Dose Report")
    uid = str(ds.get("SOPInstanceUID", "")).strip()
    if not uid:
        raise RdsrError("SOP Instance UID missing")
    out = DoseSummary(
        sop_class_uid=sop_class,
        sop_instance_uid=uid,
        study_instance_uid=str(ds.get("StudyInstanceUID", "")).strip(),
        accession_number=str(ds.get("AccessionNumber", "")).strip(),
        patient_id=str(ds.get("PatientID", "")).strip(),
        patient_name=str(ds.get("PatientName", "")).strip(),
        birth_date=_dicom_date(ds.get("PatientBirthDate")),
        performed_at=_dicom_datetime(
            f"{ds.get('StudyDate', '') or ds.get('ContentDate', '')}"
            f"{ds.get('StudyTime', '') or ds.get('ContentTime', '')}"
        ),
        manufacturer=str(ds.get("Manufacturer", ""))[:64],
        model_name=str(ds.get("ManufacturerModelName", ""))[:64],
    )
    seen_dap = False
    for item in _children(ds):
        code = _code(item)
        if code == ACCUMULATED:
            for container in _children(item):
                # The totals sit one level down (TID 10004/10005 projection/fluoro totals) on
                # most units; some write them directly: read both levels.
                for child in [container, *_children(container)]:
                    sub = _code(child)
                    if sub == DAP_TOTAL:
                        out.dap_gy_cm2 += _num(child, DAP_UNITS)
                        seen_dap = True
                    elif sub == RAK_TOTAL:
                        out.rak_mgy = _add(out.rak_mgy, _num(child, DOSE_UNITS))
                    elif sub == FLUORO_DAP_TOTAL:
                        out.fluoro_dap_gy_cm2 = _add(out.fluoro_dap_gy_cm2, _num(child, DAP_UNITS))
                    elif sub == ACQ_DAP_TOTAL:
                        out.acquisition_dap_gy_cm2 = _add(
                            out.acquisition_dap_gy_cm2, _num(child, DAP_UNITS)
                        )
                    elif sub == FLUORO_TIME:
                        out.fluoro_time_s = _add(out.fluoro_time_s, _num(child, TIME_UNITS))
        elif code == EVENT:
            out.events.append(_event(item))
    if not seen_dap:
        if not out.events or any(e.dap_gy_cm2 is None for e in out.events):
            raise RdsrError("no dose-area product total and no complete events")
        out.dap_gy_cm2 = sum(e.dap_gy_cm2 or 0.0 for e in out.events)
    return out
