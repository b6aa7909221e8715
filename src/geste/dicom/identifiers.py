"""The identifiers geste gives the equipment, and their inverse.

The unit copies them from the worklist into what it sends back (MPPS, RDSR), which is how a
dose report finds its procedure without anyone retyping anything:
- Accession Number = the request (`GR` + id), Scheduled Procedure Step ID = the appointment
  (`GA` + id), Patient ID = the patient (`GP` + id), with issuer `GESTE`;
- Study Instance UID = a UID derived from the request (same request, same study).
"""

from __future__ import annotations

import re
import uuid

ISSUER = "GESTE"
_NUM = re.compile(r"^G([RAP])(\d{1,14})$")


def accession_number(request_id: int) -> str:
    return f"GR{request_id}"


def step_id(appointment_id: int) -> str:
    return f"GA{appointment_id}"


def patient_id(patient_pk: int) -> str:
    return f"GP{patient_pk}"


def study_uid(request_id: int) -> str:
    # A "2.25." UUID-derived UID (PS3.5 B.2): stable for a request, no registered root needed.
    return "2.25." + str(uuid.uuid5(uuid.NAMESPACE_OID, f"geste-request-{request_id}").int)


def parse(value: object, kind: str) -> int | None:
    """`parse("GR12", "R") == 12`; anything else (foreign ids, garbage) gives None."""
    m = _NUM.match(str(value or "").strip())
    if m is None or m.group(1) != kind:
        return None
    return int(m.group(2))
