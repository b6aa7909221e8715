"""Read an X-Ray Radiation Dose SR (DICOM PS3.16 TID 10001) into plain numbers.

Totals come from the Accumulated X-Ray Dose containers (TID 10002, one per acquisition
plane: a biplane unit writes two, and we add them), events from the Irradiation Event X-Ray
Data containers (TID 10003). Units are converted from what the file says, in both spellings
of the dose-area product (UCUM `Gy.m2`, and the `Gym2` some Siemens units write).
An unknown unit or a missing dose-area product raises `RdsrError`: nothing is guessed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from pydicom.charset import convert_encodings
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element

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


# ------------------------------------------------------------------ the content tree
#
# A 1.2 MB report holds ~7,000 content items. pydicom builds a Dataset for each one it
# reads (~0.1 ms apiece): ~0.8 s, the whole of the import's time. The tree is walked here
# from the element's bytes instead (Little Endian, implicit or explicit VR, defined or
# undefined lengths), keeping each item's values as bytes: ~0.1 s for the same file.

CONTENT_SEQUENCE = 0x0040A730
CONCEPT_NAME = 0x0040A043
CONCEPT_CODE = 0x0040A168
MEASURED_VALUE = 0x0040A300
UNITS_CODE = 0x004008EA
NUMERIC_VALUE = 0x0040A30A
CODE_VALUE = 0x00080100
LONG_CODE_VALUE = 0x00080119
CODE_MEANING = 0x00080104
UID_VALUE = 0x0040A124
DATETIME_VALUE = 0x0040A120
ITEM = 0xFFFEE000
ITEM_END = 0xFFFEE00D
SEQUENCE_END = 0xFFFEE0DD
UNDEFINED = 0xFFFFFFFF
LONG_LENGTH_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN"})
LONG_LENGTH_VRS |= {b"UR", b"UT"}
# What the walk keeps; every other element, and every other sequence of defined length, is
# stepped over (an undefined length has to be read through to find its end).
KEPT_VALUES = frozenset(
    {CODE_VALUE, LONG_CODE_VALUE, CODE_MEANING, UID_VALUE, DATETIME_VALUE, NUMERIC_VALUE}
)
KEPT_SEQUENCES = frozenset(
    {CONTENT_SEQUENCE, CONCEPT_NAME, CONCEPT_CODE, MEASURED_VALUE, UNITS_CODE}
)
HEADER = struct.Struct("<HHL")
TAG = struct.Struct("<HH")
UL = struct.Struct("<L")
US = struct.Struct("<H")


# One content item (or any sequence item): tag -> value bytes, or tag -> its sequence's
# items. A plain dict: ~26,000 are built for a 1.2 MB report.
Item = dict[int, "bytes | list[Item]"]


def _first(item: Item, tag: int) -> Item | None:
    seq = item.get(tag)
    return seq[0] if isinstance(seq, list) and seq else None


def _text(item: Item, tag: int, encoding: str) -> str:
    value = item.get(tag)
    if not isinstance(value, bytes):
        return ""
    return value.decode(encoding, "replace").strip(" \x00")


@cache
def _is_sequence(tag: int) -> bool:
    try:
        return str(dictionary_VR(tag)) == "SQ"
    except KeyError:
        return False  # private or unknown: kept as bytes (never read)


def _read_items(buf: bytes, pos: int, length: int, implicit: bool) -> tuple[list[Item], int]:
    """The items of a sequence whose value starts at `pos`; returns them and the end."""
    items = []
    end = None if length == UNDEFINED else pos + length
    while end is None or pos < end:
        group, element, item_length = HEADER.unpack_from(buf, pos)
        tag, pos = group << 16 | element, pos + 8
        if tag == SEQUENCE_END:
            break
        if tag != ITEM:
            raise RdsrError("content tree malformed")
        item: Item = {}
        if item_length == UNDEFINED:
            pos = _read_elements(buf, pos, None, implicit, item)
        else:
            _read_elements(buf, pos, pos + item_length, implicit, item)
            pos += item_length
        items.append(item)
    return items, pos if end is None else end


def _read_elements(buf: bytes, pos: int, end: int | None, implicit: bool, item: Item) -> int:
    """The elements from `pos` to `end` (None: to the item delimiter) into `item`."""
    while end is None or pos < end:
        if implicit:
            group, element, length = HEADER.unpack_from(buf, pos)
            tag = group << 16 | element
            if tag == ITEM_END:
                return pos + 8
            pos += 8
            sequence = length == UNDEFINED or _is_sequence(tag)
        else:
            group, element = TAG.unpack_from(buf, pos)
            tag = group << 16 | element
            if tag == ITEM_END:
                return pos + 8
            vr = buf[pos + 4 : pos + 6]
            if vr in LONG_LENGTH_VRS:
                (length,) = UL.unpack_from(buf, pos + 8)
                pos += 12
            else:
                (length,) = US.unpack_from(buf, pos + 6)
                pos += 8
            sequence = vr == b"SQ" or (vr == b"UN" and length == UNDEFINED)
        if sequence:
            if tag in KEPT_SEQUENCES:
                item[tag], pos = _read_items(buf, pos, length, implicit)
            elif length == UNDEFINED:
                _, pos = _read_items(buf, pos, length, implicit)
            else:
                pos += length
        elif length == UNDEFINED:
            raise RdsrError("content tree malformed")
        else:
            if tag in KEPT_VALUES:
                item[tag] = buf[pos : pos + length]
            pos += length
    if end is not None and pos != end:
        raise RdsrError("content tree malformed")
    return pos


def _content(ds: Dataset) -> list[Item]:
    """The report's top-level content items, read from the bytes of its ContentSequence
    (the element as received; one built or changed in memory is written out first)."""
    elem = ds.get_item(CONTENT_SEQUENCE)
    if elem is None:
        return []
    raw = elem.value if isinstance(elem, RawDataElement) else None
    if isinstance(raw, bytes) and elem.is_little_endian:
        implicit = bool(elem.is_implicit_VR)
    else:
        fp = DicomBytesIO()
        fp.is_little_endian, fp.is_implicit_VR = True, True
        write_data_element(fp, ds[CONTENT_SEQUENCE], _encodings(ds))
        raw, implicit = fp.getvalue()[8:], True  # the value after the tag and the length
    try:
        items, _ = _read_items(raw, 0, len(raw), implicit)
    except struct.error as e:
        raise RdsrError("content tree truncated") from e
    return items


def _encodings(ds: Dataset) -> list[str]:
    return convert_encodings(ds.get("SpecificCharacterSet") or "ISO_IR 6")


def _code(item: Item) -> str:
    name = _first(item, CONCEPT_NAME)
    if name is None:
        return ""
    return _text(name, CODE_VALUE, "ascii") or _text(name, LONG_CODE_VALUE, "utf-8")


def _children(item: Item) -> list[Item]:
    children = item.get(CONTENT_SEQUENCE)
    return children if isinstance(children, list) else []


def _num(item: Item, units: dict[str, float]) -> float:
    value = _first(item, MEASURED_VALUE)
    if value is None:
        raise RdsrError(f"concept {_code(item)} has no measured value")
    unit_item = _first(value, UNITS_CODE)
    unit = _text(unit_item, CODE_VALUE, "ascii") if unit_item is not None else ""
    if unit not in units:
        raise RdsrError(f"concept {_code(item)}: unit {unit!r} not understood")
    try:
        number = float(_text(value, NUMERIC_VALUE, "ascii"))
    except ValueError as e:  # empty, several values, not a number
        raise RdsrError(f"concept {_code(item)}: numeric value unreadable") from e
    if number != number or number < 0:  # NaN or negative
        raise RdsrError(f"concept {_code(item)}: value out of range")
    return number * units[unit]


def _dicom_datetime(value: str) -> datetime | None:
    value = (value or "").strip()
    if len(value) < 8:
        return None
    try:
        # The units run on local time and write no offset: the default zone here, re-read
        # in the station's room's zone on import (services._in_zone).
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


def _event(item: Item, encoding: str) -> Event:
    ev = Event()
    for child in _children(item):
        code = _code(child)
        if code == EVENT_UID:
            ev.uid = _text(child, UID_VALUE, "ascii")
        elif code == STARTED:
            ev.started_at = _dicom_datetime(_text(child, DATETIME_VALUE, "ascii"))
        elif code in (EVENT_TYPE, PLANE):
            concept = _first(child, CONCEPT_CODE)
            meaning = _text(concept, CODE_MEANING, encoding) if concept is not None else ""
            if code == EVENT_TYPE:
                ev.event_type = meaning[:64]
            else:
                ev.plane = meaning[:32]
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
    root = ds.get("ConceptNameCodeSequence")
    if not root or str(root[0].get("CodeValue") or root[0].get("LongCodeValue") or "") != ROOT:
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
    # The report's character set (its first one: code meanings are ASCII in practice, and
    # only kept as labels).
    encoding = _encodings(ds)[0]
    for item in _content(ds):
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
            out.events.append(_event(item, encoding))
    if not seen_dap:
        if not out.events or any(e.dap_gy_cm2 is None for e in out.events):
            raise RdsrError("no dose-area product total and no complete events")
        out.dap_gy_cm2 = sum(e.dap_gy_cm2 or 0.0 for e in out.events)
    return out
