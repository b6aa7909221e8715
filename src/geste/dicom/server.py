"""The DICOM application entity `geste dicom` runs (pynetdicom): Modality Worklist (C-FIND),
MPPS (N-CREATE / N-SET), storage of X-Ray Radiation Dose SRs (C-STORE) and C-ECHO.

Only the AE titles of active `ModalityStation`s may associate (others are rejected:
"calling AE title not recognised"), and only by our own AE title. Each association runs in
its own thread with its own database connection, closed when the handler ends. Refusals
carry the DICOM status the standard gives; logs name the station, the status and the error
class, never a value from the dataset (it may be patient data).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from functools import wraps
from io import BytesIO
from typing import Any

import pynetdicom.service_class
from django.db import close_old_connections, connection
from pydicom import config as pydicom_config
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid
from pynetdicom import AE, evt
from pynetdicom import _config as pynetdicom_config
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    EnhancedXRayRadiationDoseSRStorage,
    ModalityPerformedProcedureStep,
    ModalityWorklistInformationFind,
    Verification,
    XRayRadiationDoseSRStorage,
)

from geste.dicom import mpps, rdsr, worklist
from geste.dicom.matching import Query, QueryError
from geste.dicom.models import ModalityStation
from geste.dicom.services import dose_report_import

logger = logging.getLogger("geste.dicom")
logging.getLogger("pynetdicom").setLevel(logging.WARNING)
# pydicom's reading warnings quote the offending value (a name, a birth date): off. What we
# use is checked by our own readers, whose refusals name fields, never values.
pydicom_config.settings.reading_validation_mode = pydicom_config.IGNORE
# pynetdicom formats every identifier received and answered for its debug log, even when
# that log is off: patient data, and ~0.6 ms an answer. Off.
pynetdicom_config.LOG_REQUEST_IDENTIFIERS = False
pynetdicom_config.LOG_RESPONSE_IDENTIFIERS = False

# DIMSE statuses (PS3.4 B.2.3, C.4.1.1.4, PS3.7 C)
SUCCESS = 0x0000
PENDING = 0xFF00
STORE_SOP_MISMATCH = 0xA900  # dataset does not match SOP class
STORE_CANNOT_UNDERSTAND = 0xC000
FIND_IDENTIFIER_MISMATCH = 0xA900
FIND_UNABLE = 0xC000
OUT_OF_RESOURCES = 0xA700
CANCEL = 0xFE00
N_PROCESSING_FAILURE = 0x0110
N_NO_SUCH_SOP_CLASS = 0x0118
N_INVALID_ATTRIBUTE = 0x0106
KNOWN_TTL_S = 5.0


class GesteAE(AE):
    """An AE whose allowed calling AE titles are the active stations, read at most every
    few seconds, so that a station added in the admin is accepted without a restart."""

    _known: tuple[float, list[str]] = (0.0, [])

    @property  # type: ignore[override]
    def require_calling_aet(self) -> list[str]:
        stamp, titles = self._known
        if time.monotonic() - stamp > KNOWN_TTL_S:
            titles = _db_call(_station_titles)
            self._known = (time.monotonic(), titles)
        # An empty list would mean "anyone": with no station configured, nobody is known.
        return titles or ["\x00none"]

    @require_calling_aet.setter
    def require_calling_aet(self, value: list[str]) -> None:
        self._known = (0.0, list(value))


def _station_titles() -> list[str]:
    return list(ModalityStation.objects.filter(active=True).values_list("ae_title", flat=True))


def _db_call(fn: Callable[[], Any]) -> Any:
    close_old_connections()
    try:
        return fn()
    finally:
        connection.close()  # association threads end: never leave their connection open


def _with_db(handler: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(handler)
    def run(event: evt.Event) -> Any:
        return _db_call(lambda: handler(event))

    return run


def _station(event: evt.Event) -> ModalityStation | None:
    title = (event.assoc.requestor.ae_title or "").strip()
    # With its room's site: the unit writes its room's local time (mpps, rdsr).
    return (
        ModalityStation.objects.select_related("room__site")
        .filter(ae_title=title, active=True)
        .first()
    )


def _caller(event: evt.Event) -> str:
    return (event.assoc.requestor.ae_title or "").strip()


def _refuse(event: evt.Event, what: str, status: int, error: BaseException | str) -> int:
    reason = error if isinstance(error, str) else type(error).__name__
    if isinstance(error, (rdsr.RdsrError, QueryError, mpps.MppsError)):
        reason = str(error)  # our own messages: codes and field names, no values
    logger.warning(
        "dicom %s from %s refused: status 0x%04X (%s)", what, _caller(event), status, reason
    )
    return status


# ---------------------------------------------------------------------------- C-STORE


@_with_db
def handle_store(event: evt.Event) -> int:
    station = _station(event)
    if station is None:
        return _refuse(event, "C-STORE", OUT_OF_RESOURCES, "station deactivated")
    try:
        raw = event.encoded_dataset()
        ds = dcmread(BytesIO(raw))
    except Exception as e:
        return _refuse(event, "C-STORE", STORE_CANNOT_UNDERSTAND, e)
    if str(ds.get("SOPClassUID", "")) != str(event.request.AffectedSOPClassUID):
        return _refuse(event, "C-STORE", STORE_SOP_MISMATCH, "SOP class differs from command")
    try:
        summary = rdsr.read(ds)
    except rdsr.RdsrError as e:
        return _refuse(event, "C-STORE", STORE_CANNOT_UNDERSTAND, e)
    except Exception as e:  # a malformed element deep in the tree
        return _refuse(event, "C-STORE", STORE_CANNOT_UNDERSTAND, e)
    try:
        report, created = dose_report_import(
            summary=summary, raw=raw, calling_ae=station.ae_title, station=station
        )
    except Exception as e:
        logger.exception("dicom C-STORE from %s: import failed", station.ae_title)
        return _refuse(event, "C-STORE", OUT_OF_RESOURCES, e)
    logger.info(
        "dicom RDSR %s from %s: %s",
        report.pk,
        station.ae_title,
        "stored" if created else "already held",
    )
    return SUCCESS


# ----------------------------------------------------------------------------- C-FIND


class Encoded(Dataset):
    """A C-FIND answer already encoded (`Query.encode`), for the transfer syntax of the
    association's context. pynetdicom encodes each answer with `service_class.encode`;
    `_encode` hands it these bytes instead of building and writing a pydicom Dataset."""

    def __init__(self, raw: bytes, implicit: bool) -> None:
        super().__init__()
        self.__dict__["_geste_raw"] = (raw, implicit)


_pynetdicom_encode = pynetdicom.service_class.encode


def _encode(
    ds: Dataset, is_implicit_vr: bool, is_little_endian: bool, deflated: bool = False
) -> bytes | None:
    raw = ds.__dict__.get("_geste_raw") if isinstance(ds, Encoded) else None
    if raw is not None and raw[1] == is_implicit_vr and is_little_endian and not deflated:
        return bytes(raw[0])
    return _pynetdicom_encode(ds, is_implicit_vr, is_little_endian, deflated)


pynetdicom.service_class.encode = _encode  # type: ignore[assignment]

# Transfer syntax of the context -> implicit VR, for the ones `Query.encode` writes.
FAST_SYNTAXES: dict[str, bool] = {
    str(ImplicitVRLittleEndian): True,
    str(ExplicitVRLittleEndian): False,
}


def handle_find(event: evt.Event) -> Iterator[tuple[int, Dataset | None]]:
    close_old_connections()
    try:
        if str(event.request.AffectedSOPClassUID) != ModalityWorklistInformationFind:
            yield _refuse(event, "C-FIND", FIND_IDENTIFIER_MISMATCH, "not a worklist query"), None
            return
        try:
            query_ds = event.identifier
            query_ds.decode()  # character set applied now: a bad one is a bad query
            query = Query(query_ds)
            items = worklist.matching_items(query)
        except QueryError as e:
            yield _refuse(event, "C-FIND", FIND_UNABLE, e), None
            return
        except Exception as e:
            yield _refuse(event, "C-FIND", FIND_UNABLE, e), None
            return
    finally:
        connection.close()
    implicit = FAST_SYNTAXES.get(str(event.context.transfer_syntax))
    for item in items:
        if event.is_cancelled:
            yield CANCEL, None
            return
        if implicit is not None and query.fast:
            yield PENDING, Encoded(query.encode(item, implicit=implicit), implicit)
        else:
            yield PENDING, query.project(item)


# ------------------------------------------------------------------------ N-CREATE/SET


def _mpps_call(
    event: evt.Event, what: str, fn: Callable[..., Any], uid: str, ds: Dataset
) -> tuple[int, Dataset | None]:
    station = _station(event)
    if station is None:
        return _refuse(event, what, N_PROCESSING_FAILURE, "station deactivated"), None
    try:
        fn(uid=uid, ds=ds, station=station)
    except mpps.MppsError as e:
        return _refuse(event, what, e.status, e), None
    except Exception as e:
        logger.exception("dicom %s from %s failed", what, station.ae_title)
        return _refuse(event, what, N_PROCESSING_FAILURE, e), None
    return SUCCESS, ds


@_with_db
def handle_n_create(event: evt.Event) -> tuple[int, Dataset | None]:
    req: Any = event.request  # N-CREATE / N-SET primitive
    if str(req.AffectedSOPClassUID) != ModalityPerformedProcedureStep:
        return _refuse(event, "N-CREATE", N_NO_SUCH_SOP_CLASS, "not MPPS"), None
    try:
        ds = event.attribute_list
        ds.decode()
    except Exception as e:
        return _refuse(event, "N-CREATE", N_INVALID_ATTRIBUTE, e), None
    uid = str(req.AffectedSOPInstanceUID or "") or str(generate_uid())
    if not req.AffectedSOPInstanceUID:
        req.AffectedSOPInstanceUID = uid  # the SCP assigns it and returns it (PS3.7 10.1.5)
    return _mpps_call(event, "N-CREATE", mpps.mpps_create, uid, ds)


@_with_db
def handle_n_set(event: evt.Event) -> tuple[int, Dataset | None]:
    req: Any = event.request  # N-CREATE / N-SET primitive
    if str(req.RequestedSOPClassUID) != ModalityPerformedProcedureStep:
        return _refuse(event, "N-SET", N_NO_SUCH_SOP_CLASS, "not MPPS"), None
    try:
        ds = event.modification_list
        ds.decode()
    except Exception as e:
        return _refuse(event, "N-SET", N_INVALID_ATTRIBUTE, e), None
    return _mpps_call(event, "N-SET", mpps.mpps_update, str(req.RequestedSOPInstanceUID), ds)


def _no_delay(event: evt.Event) -> None:
    """pynetdicom writes a DIMSE message as several small sends; with Nagle's algorithm
    each waits for the peer's delayed ACK (~40 ms on Linux). Measured: a one-answer C-FIND
    went from ~100 ms to a few ms with TCP_NODELAY."""
    sock = getattr(getattr(event.assoc.dul, "socket", None), "socket", None)
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _rejected(event: evt.Event) -> None:
    logger.warning("dicom association from %s rejected", _caller(event))


HANDLERS: list[Any] = [
    (evt.EVT_C_STORE, handle_store),
    (evt.EVT_C_FIND, handle_find),
    (evt.EVT_N_CREATE, handle_n_create),
    (evt.EVT_N_SET, handle_n_set),
    (evt.EVT_REJECTED, _rejected),
    (evt.EVT_CONN_OPEN, _no_delay),
]


def make_ae(ae_title: str = "GESTE") -> GesteAE:
    ae = GesteAE(ae_title=ae_title)
    ae.require_called_aet = True
    for context in (
        Verification,
        ModalityWorklistInformationFind,
        ModalityPerformedProcedureStep,
        XRayRadiationDoseSRStorage,
        EnhancedXRayRadiationDoseSRStorage,
    ):
        ae.add_supported_context(context)
    return ae


def start(host: str = "127.0.0.1", port: int = 11112, ae_title: str = "GESTE") -> Any:
    """Start the AE in background threads; returns the server (`.shutdown()` stops it)."""
    ae = make_ae(ae_title)
    return ae.start_server((host, port), block=False, evt_handlers=HANDLERS)


def serve(host: str = "127.0.0.1", port: int = 11112, ae_title: str = "GESTE") -> None:
    """Run the AE in the foreground until interrupted (`geste dicom`)."""
    ae = make_ae(ae_title)
    ae.start_server((host, port), block=True, evt_handlers=HANDLERS)
