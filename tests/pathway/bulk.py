"""Many procedure appointments in one day, fast (bulk inserts): for query counts and bench."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from geste import PARIS
from geste.clinic.models import Procedure, User
from geste.pathway.models import ProcedureRequest, RequestState
from geste.patients.models import Declaration, Patient
from geste.scheduling.models import Appointment, AppointmentKind
from tests.pathway.factories import room


def fill_day(day: date, n: int, radiologist: User) -> None:
    proc = Procedure.objects.get(code="facet_infiltration")
    r = room()
    first = Patient.objects.count()  # names stay distinct across calls
    patients = Patient.objects.bulk_create(
        Patient(
            last_name=f"Charge{first + i}",
            birth_name=f"Charge{first + i}",
            first_names="Test",
            birth_date=date(1960, 1, 1) + timedelta(days=i),
            sex="FM"[i % 2],
        )
        for i in range(n)
    )
    start = datetime.combine(day, time(7, 0), tzinfo=PARIS)
    # A second call the same day goes after the first one's appointments: PostgreSQL's
    # no-overlap constraints hold for test data too.
    offset = Appointment.objects.count()
    # Booked procedures have a validated indication, as in real life: the only findings
    # left are the questionnaires' (one fever in fifty).
    reqs = ProcedureRequest.objects.bulk_create(
        ProcedureRequest(
            patient=p,
            procedure=proc,
            state=RequestState.PROCEDURE_BOOKED,
            validated_by=radiologist,
            validated_at=start - timedelta(days=7),
        )
        for p in patients
    )
    Appointment.objects.bulk_create(
        Appointment(
            patient=p,
            request=q,
            kind=AppointmentKind.PROCEDURE,
            procedure=proc,
            room=r,
            radiologist=radiologist,
            start=start + timedelta(seconds=40 * (offset + i)),
            end=start + timedelta(seconds=40 * (offset + i) + 30),
        )
        for i, (p, q) in enumerate(zip(patients, reqs, strict=True))
    )
    Declaration.objects.bulk_create(
        Declaration(
            patient=p,
            request=q,
            answered_at=start - timedelta(days=1),
            pregnant=False,
            takes_anticoagulant=False,
            fever=i % 50 == 0,
            current_infection=False,
            skin_lesion_at_site=False,
        )
        for i, (p, q) in enumerate(zip(patients, reqs, strict=True))
    )
