"""Demo requests in every state, so that each pathway page shows something (`make demo`).

Runs after the scheduling demo; today's procedure appointments are placed in free room time.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import IO, Any

from django.utils import timezone

from geste.clinic.models import Procedure, Role, Room, User
from geste.pathway.formulary import FormularyKind
from geste.pathway.models import (
    Consultation,
    FollowUp,
    Prescription,
    PrescriptionItem,
    ProcedureRecord,
    ProcedureRequest,
    Report,
    RequestState,
    RequestTransition,
)
from geste.pathway.prescriptions import prescriptions_write
from geste.pathway.texts import report_draft, technique_text
from geste.patients.models import Declaration, LabResult, Patient
from geste.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentKind, AppointmentStatus

S = RequestState
_AFTER_VALIDATION = {
    S.VALIDATED,
    S.PROCEDURE_BOOKED,
    S.CHECKED_IN,
    S.READY,
    S.PERFORMED,
    S.REPORTED,
    S.FOLLOWED_UP,
}
_DAY = {S.PROCEDURE_BOOKED, S.CHECKED_IN, S.READY, S.PERFORMED, S.REPORTED, S.FOLLOWED_UP}


class _Slots:
    """Free 30-minute slots from 08:00 on a given day, for a room, the radiologist and the patient.

    Checked against every active appointment (the scheduling demo's too), so that the demo
    never breaks the no-overlap constraints that PostgreSQL enforces.
    """

    def __init__(self, rooms: list[Room], radiologists: list[User]) -> None:
        self.rooms = rooms
        self.radiologists = radiologists
        self.i = 0

    def next(
        self, *, radiologist: User, patient: Patient, days_ago: int = 0
    ) -> tuple[Room, datetime, User]:
        """The first free (room, start, radiologist), the preferred radiologist first."""
        day = timezone.localdate() - timedelta(days=days_ago)
        first = timezone.make_aware(datetime.combine(day, time(8, 0)))
        busy = list(
            Appointment.objects.filter(
                status__in=ACTIVE_STATUSES,
                start__lt=first + timedelta(hours=12),
                end__gt=first,
            ).values_list("room_id", "radiologist_id", "patient_id", "start", "end")
        )
        for step in range(24 * len(self.rooms)):
            room = self.rooms[(self.i + step) % len(self.rooms)]
            start = first + timedelta(minutes=30 * (step // len(self.rooms)))
            end = start + timedelta(minutes=30)
            for doctor in [radiologist, *(r for r in self.radiologists if r != radiologist)]:
                clash = any(
                    s < end
                    and e > start
                    and (r == room.pk or rad == doctor.pk or pat == patient.pk)
                    for r, rad, pat, s, e in busy
                )
                if not clash:
                    self.i += 1
                    return room, start, doctor
        raise RuntimeError("demo: no free slot left on that day")


def _make(
    patient: Patient,
    code: str,
    state: str,
    rad: User,
    slots: _Slots,
    *,
    fever: bool = False,
    pain: int = 7,
    after: int | None = None,
    alert: bool = False,
    month: int | None = None,
    days_ago: int = 3,
    levels: str = "L4-L5",
) -> ProcedureRequest:
    """One request in `state`; once performed, `days_ago` days ago at `levels`, with the pain
    `after` at 48-72 h and `month` at one month when answered."""
    now = timezone.now()
    proc = Procedure.objects.get(code=code)
    req = ProcedureRequest.objects.create(
        patient=patient,
        procedure=proc,
        state=state,
        pain_nrs=pain,
        referring_physician="Dr Paul Mercier",
        severe_pain=pain >= 8,
        review_on=(now + timedelta(days=21)).date() if state == S.DEFERRED else None,
        refusal_reason="Bénéfice attendu trop faible." if state == S.INDICATION_REFUSED else "",
        cancel_reason="Annulé à la demande du patient." if state == S.CANCELLED else "",
    )
    RequestTransition.objects.create(
        request=req, from_state=S.REQUESTED, to_state=state, actor=rad, reason="demo"
    )
    if state not in {S.REQUESTED, S.CONSULTATION_BOOKED, S.DEFERRED, S.CANCELLED}:
        Consultation.objects.create(
            request=req,
            radiologist=rad,
            history="Lombo-radiculalgie.",
            indication="Radiculalgie résistante.",
            benefit_risk="Favorable.",
        )
    if state in _AFTER_VALIDATION:
        req.validated_by, req.validated_at = rad, now - timedelta(days=10)
        req.save(update_fields=["validated_by", "validated_at"])
        for p in prescriptions_write(request=req, actor=rad):
            if state != S.VALIDATED:  # the drafts of a just-validated request await signature
                Prescription.objects.filter(pk=p.pk).update(signed_at=now, signed_by=rad)
    Declaration.objects.create(
        patient=patient,
        request=req,
        answered_at=now - timedelta(days=1),
        pregnant=False,
        takes_anticoagulant=False,
        fever=fever,
        current_infection=False,
        skin_lesion_at_site=False,
    )
    LabResult.objects.create(
        patient=patient,
        sampled_at=now - timedelta(days=3),
        platelets_g_l=240,
        inr=1.0,
        aptt_ratio=1.0,
        entered_by=rad,
    )
    if state in _DAY:
        past = state in {S.REPORTED, S.FOLLOWED_UP}
        room, start, rad = slots.next(
            radiologist=rad, patient=patient, days_ago=days_ago if past else 0
        )
        status: str = {  # type: ignore[call-overload]
            S.PROCEDURE_BOOKED: AppointmentStatus.BOOKED,
            S.CHECKED_IN: AppointmentStatus.CHECKED_IN,
            S.READY: AppointmentStatus.CHECKED_IN,
        }.get(state, AppointmentStatus.DONE)
        Appointment.objects.create(
            patient=patient,
            request=req,
            kind=AppointmentKind.PROCEDURE,
            procedure=proc,
            room=room,
            radiologist=rad,
            start=start,
            end=start + timedelta(minutes=30),
            status=status,
            booked_by=rad,
        )
    if state in {S.PERFORMED, S.REPORTED, S.FOLLOWED_UP}:
        # Products from the centre formulary, as the record form offers them.
        items = {
            i.formulary.kind: i
            for i in PrescriptionItem.objects.filter(prescription__request=req).select_related(
                "formulary"
            )
        }
        contrast = items.get(FormularyKind.IODINATED) or items.get(FormularyKind.GADOLINIUM)
        steroid = items.get(FormularyKind.CORTICOSTEROID)
        ProcedureRecord.objects.create(
            request=req,
            operator=rad,
            route="interlamaire",
            levels=levels,
            side="median",
            asepsis=True,
            contrast_item=contrast.formulary if contrast else None,
            contrast_product=contrast.formulary.product if contrast else "",
            contrast_volume_ml=2 if contrast else None,
            contrast_lot="L2301" if contrast else "",
            confirmation=proc.contrast_confirmation if proc.contrast_confirmation != "none" else "",
            drug_item=steroid.formulary if steroid else None,
            drug=steroid.formulary.product if steroid else "",
            drug_dose_mg=steroid.dose if steroid else None,
            drug_lot="C998" if steroid else "",
            fluoroscopy_s=42,
            dap_mgy_cm2=380.0,
        )
    if state in {S.REPORTED, S.FOLLOWED_UP}:
        Report.objects.create(
            request=req,
            text=report_draft(req),
            conclusion="Geste sans incident.",
            signed_by=rad,
            signed_at=now - timedelta(days=days_ago - 1),
            performed_at=now - timedelta(days=days_ago),
            operator=rad,
            technique=technique_text(req),
            dap_mgy_cm2=380.0,
            fluoroscopy_s=42,
        )
        answered = state == S.FOLLOWED_UP
        performed = now - timedelta(days=days_ago)
        due = performed + timedelta(hours=48)
        if days_ago == 3:  # due just now: the 48-72 h questionnaire is on the portal
            due = now - timedelta(hours=12 if answered else 1)
        month_due = performed + timedelta(days=30)
        FollowUp.objects.create(
            request=req,
            due_at=due,
            answered_at=due + timedelta(hours=6) if answered else None,
            pain_now=after if answered else None,
            adverse_events=["fever", "site_pain"] if alert else [],
            alert=alert,
            month_due_at=month_due,
            month_reminded_at=month_due if month_due <= now else None,
            month_answered_at=month_due + timedelta(days=1) if month is not None else None,
            pain_month=month,
        )
    return req


def load(*, context: dict[str, Any], progress: IO[str] | None = None) -> None:
    receptionist = User.objects.filter(role=Role.RECEPTIONIST).order_by("pk").first()
    linked = _link_requests(receptionist, timezone.now())
    if progress is not None and linked:
        progress.write(f"  pathway: {linked} scheduling appointments linked to requests\n")
    if ProcedureRequest.objects.filter(referring_physician="Dr Paul Mercier").exists():
        return
    rads = list(User.objects.filter(role=Role.RADIOLOGIST).order_by("username"))
    rooms = list(Room.objects.filter(active=True).order_by("pk"))
    if not rads or not rooms:
        return
    rad = rads[0]
    slots = _Slots(rooms, rads)
    alice = Patient.objects.get(user__username="patient1")
    bob = Patient.objects.get(user__username="patient2")
    others = list(Patient.objects.exclude(pk__in=[alice.pk, bob.pk]).order_by("pk")[:60])
    it = iter(others)
    _make(alice, "facet_infiltration", S.REPORTED, rad, slots, pain=7)
    _make(alice, "epidural_infiltration", S.VALIDATED, rad, slots)
    _make(bob, "epidural_infiltration", S.CHECKED_IN, rad, slots, fever=True)
    # Bob, a month ago: his pain curve on Mes résultats and the one-month questionnaire open.
    _make(bob, "facet_infiltration", S.FOLLOWED_UP, rad, slots, pain=8, after=4, days_ago=32)
    plan = [
        ("epidural_infiltration", S.REQUESTED),
        ("bone_biopsy", S.REQUESTED),
        ("facet_infiltration", S.CONSULTATION_BOOKED),
        ("discal_infiltration", S.CONSULTATION_DONE),
        ("vertebroplasty_benign", S.CONSULTATION_DONE),
        ("foraminal_infiltration", S.INDICATION_REFUSED),
        ("peripheral_joint_infiltration", S.VALIDATED),
        ("epidural_infiltration", S.PROCEDURE_BOOKED),
        ("facet_infiltration", S.PROCEDURE_BOOKED),
        ("peripheral_joint_infiltration", S.PROCEDURE_BOOKED),
        ("facet_infiltration", S.CHECKED_IN),
        ("epidural_infiltration", S.READY),
        ("epidural_infiltration", S.PERFORMED),
        ("facet_infiltration", S.PERFORMED),
        ("vertebroplasty_tumoral", S.DEFERRED),
        ("bone_biopsy", S.IN_DISCUSSION),
        ("intrathecal_injection", S.CANCELLED),
    ]
    for code, state in plan:
        _make(next(it), code, state, rad, slots)
    # Followed-up requests for the outcomes chart; one with a warning sign (alert).
    results = [
        ("epidural_infiltration", 8, 3),
        ("epidural_infiltration", 7, 6),
        ("epidural_infiltration", 9, 4),
        ("facet_infiltration", 6, 2),
        ("facet_infiltration", 7, 5),
        ("peripheral_joint_infiltration", 8, 2),
        ("vertebroplasty_benign", 9, 3),
        ("vertebroplasty_benign", 8, 5),
    ]
    for i, (code, before, after) in enumerate(results):
        _make(next(it), code, S.FOLLOWED_UP, rad, slots, pain=before, after=after, alert=i == 0)
    # A month or more ago: pain at 48-72 h and at one month, several levels and operators, for
    # the responders page; one patient without pain before (counted apart), one still to answer.
    months = [
        ("epidural_infiltration", "L4-L5", 8, 4, 2),
        ("epidural_infiltration", "L5-S1", 7, 5, 5),
        ("epidural_infiltration", "L5-S1", 9, 3, 4),
        ("facet_infiltration", "L4-L5", 6, 3, 3),
        ("facet_infiltration", "L3-L4", 7, 6, 7),
        ("facet_infiltration", "L4-L5", 0, 1, 0),
        ("vertebroplasty_benign", "T12", 9, 4, 2),
        ("peripheral_joint_infiltration", "", 8, 3, None),
    ]
    for i, (code, level, before, after, month) in enumerate(months):
        _make(
            next(it),
            code,
            S.FOLLOWED_UP,
            rads[i % len(rads)],
            slots,
            pain=before,
            after=after,
            month=month,
            days_ago=31 + i,
            levels=level,
        )
    if progress is not None:
        progress.write(f"  pathway requests: {ProcedureRequest.objects.count()}\n")


def _request_state(appointment: Appointment) -> str | None:
    """The request state an appointment implies (None: left without a request).

    Consultations: booked -> consultation_booked, done -> consultation_done, missed or
    cancelled -> requested (still to book). Procedures to come: validated indication, then
    procedure_booked. Past procedures stay without a request: a performed request needs a
    procedure record and a report, which are the pathway demo's to write.
    """
    if appointment.kind == AppointmentKind.CONSULTATION:
        return {
            AppointmentStatus.BOOKED: RequestState.CONSULTATION_BOOKED,
            AppointmentStatus.DONE: RequestState.CONSULTATION_DONE,
        }.get(AppointmentStatus(appointment.status), RequestState.REQUESTED)
    if appointment.status == AppointmentStatus.BOOKED:
        return RequestState.PROCEDURE_BOOKED
    return None


def _link_requests(actor: User | None, now: Any) -> int:
    """One request per appointment of the scheduling demo, in the state the appointment
    implies, with its history (the appointments were written without one)."""
    made = list(Appointment.objects.filter(request__isnull=True, booked_by=actor).order_by("start"))
    pairs = []
    for appointment in made:
        state = _request_state(appointment)
        if state is None:
            continue
        validated = state == RequestState.PROCEDURE_BOOKED
        pairs.append(
            (
                appointment,
                ProcedureRequest(
                    patient=appointment.patient,
                    procedure=appointment.procedure,
                    state=state,
                    created_by=actor,
                    validated_by=appointment.radiologist if validated else None,
                    validated_at=min(now, appointment.start) - timedelta(days=7)
                    if validated
                    else None,
                ),
            )
        )
    ProcedureRequest.objects.bulk_create([r for _, r in pairs], batch_size=500)
    RequestTransition.objects.bulk_create(
        [
            RequestTransition(
                request=r,
                from_state=RequestState.REQUESTED,
                to_state=r.state,
                actor=actor,
                reason="démo",
            )
            for _, r in pairs
            if r.state != RequestState.REQUESTED
        ],
        batch_size=500,
    )
    for appointment, request in pairs:
        appointment.request = request
    Appointment.objects.bulk_update([a for a, _ in pairs], ["request"], batch_size=500)
    return len(pairs)
