"""Accept or adjust a proposed recovery plan.

Accepting books each planned item through `scheduling.services.appointment_book` (the one booking
path: locks, capacity, prerequisites) at the first free time of its day, the request coming back
from `deferred` first, both in one transaction per item: an item that cannot be booked stays
deferred and is reported, the others go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geste import PARIS
from geste.audit.services import log_action, written_at_end
from geste.clinic.models import Room, User
from geste.clinic.selectors import site_zone
from geste.crisis.effects import resume
from geste.crisis.errors import CrisisError
from geste.crisis.models import CrisisJob, PlanStatus, RecoveryItem, RecoveryPlan
from geste.crisis.progress import Pace, beat, tell
from geste.crisis.recovery import capacity_for, plan_refresh
from geste.pathway.booking import appointment_book, calendars_for_batch, earliest_slots
from geste.pathway.models import ProcedureRequest, RequestState
from geste.scheduling.errors import BookingError


@dataclass
class AcceptResult:
    booked: int
    failed: list[tuple[int, str]]  # (item id, "patient : reason")


def _slot(item: RecoveryItem) -> tuple[datetime, Room, User] | None:
    assert item.day is not None
    # The plan's day is the room's local day (its site's zone; the default's without a room).
    zone = site_zone(item.room.site.time_zone) if item.room is not None else PARIS
    day_start = datetime.combine(item.day, time.min, tzinfo=zone)
    not_before = max(day_start, timezone.now())
    not_after = day_start + timedelta(days=1)
    req = item.request
    for rooms in ([item.room], None):
        # The guarded list: only times the clinical guard will accept at booking.
        options = earliest_slots(
            procedure=req.procedure,
            kind=item.kind,
            not_before=not_before,
            not_after=not_after,
            patient=req.patient,
            limit=None,
            rooms=rooms,  # type: ignore[arg-type]
            request=req,
        )
        mine = [o for o in options if o.radiologist.pk == item.radiologist_id] or options
        if mine:
            return mine[0].start, mine[0].room, mine[0].radiologist
    return None


def _book(item: RecoveryItem, actor: Any, told: set[int]) -> None:
    req = item.request
    # Its state now (the request's patient and procedure, read with the plan, stay loaded);
    # the transition below locks the row and checks the state again.
    req.state = (
        ProcedureRequest.objects.filter(pk=req.pk).values_list("state", flat=True).first() or ""
    )
    if req.state not in (RequestState.DEFERRED, RequestState.IN_DISCUSSION):
        raise CrisisError(_("La demande n'est plus reportée."))
    found = _slot(item)
    if found is None:
        raise CrisisError(_("Plus de créneau libre ce jour-là."))
    start, room, radiologist = found
    # One transaction; its audit events written at its end (the chain's lock held briefly).
    with written_at_end():
        # The transition leaves `req` as the locked row (state, resume state).
        resume(req, actor=actor, details={"plan": item.plan_id, "item": item.pk})
        try:
            appointment = appointment_book(
                patient=req.patient,
                kind=item.kind,
                procedure=req.procedure,
                start=start,
                room=room,
                radiologist=radiologist,
                actor=actor,
                request=req,
                tell_patient=False,  # one crisis message per patient per batch (below)
            )
        except BookingError as exc:
            raise CrisisError(str(exc)) from None
        item.appointment = appointment
        item.save(update_fields=["appointment"])
        told.add(req.patient_id)


TOLD_UNTIL = "told_until"  # in the job's result while it runs: patients told up to then


def _untold(plan: RecoveryPlan, job_id: int) -> set[int]:
    """A job started again after its worker died: the patients booked by its first run and not
    told yet (booked after its last saved progress; all of them when none was saved)."""
    result = CrisisJob.objects.filter(pk=job_id).values_list("result", flat=True).first() or {}
    booked = plan.items.filter(appointment__isnull=False)
    until = result.get(TOLD_UNTIL) if isinstance(result, dict) else None
    if until:
        booked = booked.filter(appointment__created_at__gte=datetime.fromisoformat(until))
    return set(booked.values_list("request__patient_id", flat=True))


def plan_accept(*, plan: RecoveryPlan, actor: Any, job_id: int | None = None) -> AcceptResult:
    """Book every planned item (one transaction each). Resumable: a job started again after
    its worker died finds the plan accepted and books only the items without an appointment.
    Each patient booked gets one message; a failure names the patient."""
    with transaction.atomic():
        locked = RecoveryPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status == PlanStatus.PROPOSED:
            locked.status = PlanStatus.ACCEPTED
            locked.accepted_at = timezone.now()
            locked.accepted_by = actor
            locked.save(update_fields=["status", "accepted_at", "accepted_by"])
            RecoveryPlan.objects.filter(crisis=locked.crisis, status=PlanStatus.PROPOSED).exclude(
                pk=locked.pk
            ).update(status=PlanStatus.DISCARDED)
        elif not (job_id is not None and locked.status == PlanStatus.ACCEPTED):
            raise CrisisError(_("Ce plan n'est plus une proposition."))
    booked, failed = 0, []
    items = list(
        plan.items.filter(removed=False, day__isnull=False, appointment__isnull=True)
        .select_related("request__patient", "request__procedure", "room__site")
        .order_by("day", "-priority_weight", "id")
    )
    told: set[int] = set()
    if job_id is not None:
        told = _untold(plan, job_id)
        CrisisJob.objects.filter(pk=job_id).update(total=len(items), processed=0)
    sent: set[int] = set()  # a patient with several items is told once per acceptance
    pace = Pace()
    # One transaction per item (an item that cannot be booked is rolled back alone). The
    # messages, gathered over the items booked (one per patient), are sent and the progress
    # saved every progress.FLUSH_ITEMS items or FLUSH_SECONDS (and at the end), not after
    # every item: both cost about a tenth of the run when done per item.
    # The capacity check reads the calendars once for the acceptance (each item's slot search
    # reads them fresh: the time it books was free in them).
    with calendars_for_batch():
        for n, item in enumerate(items, start=1):
            try:
                _book(item, actor, told)
                booked += 1
            except CrisisError as exc:
                failed.append((item.pk, f"{item.request.patient} : {exc}"))
            if pace.due() or n == len(items):
                # Every item booked before `mark` is in `told`: once sent, the job records it
                # (a worker dying in between sends these again on resume, never loses them).
                mark = timezone.now()
                told -= sent
                sent |= told
                tell(told)
                beat(job_id, n, result={TOLD_UNTIL: mark.isoformat()})
        if not items and told:  # resumed after the last item: only the untold messages
            tell(told)
            beat(job_id, 0, result={TOLD_UNTIL: timezone.now().isoformat()})
    log_action(
        actor=actor,
        action="crisis.plan_accepted",
        obj=plan,
        details={"booked": booked, "failed": [i for i, _r in failed]},
    )
    plan.refresh_from_db()
    return AcceptResult(booked=booked, failed=failed)


def item_move(
    *, item: RecoveryItem, day: date, room: Room, radiologist: User, actor: Any
) -> RecoveryItem:
    """Move one item; refused if the adjusted plan breaks a capacity or an earliest date."""
    plan = item.plan
    if plan.status != PlanStatus.PROPOSED:
        raise CrisisError(_("Ce plan n'est plus modifiable."))
    moved = RecoveryItem.objects.select_related("request__procedure").get(pk=item.pk)
    moved.day, moved.room, moved.radiologist = day, room, radiologist
    rooms, rads = capacity_for(plan.horizon_start, plan.horizon_end)
    errors = _rules(moved) + _overload(plan, moved, rooms, rads)
    if errors:
        message = _("Déplacement impossible : %(why)s.") % {"why": "; ".join(errors)}
        near = _nearest_days(plan, moved, rooms, rads)
        if near:
            message += " " + _("Jours possibles les plus proches : %(days)s.") % {
                "days": ", ".join(d.strftime("%d/%m/%Y") for d in near)
            }
        raise CrisisError(message)
    with transaction.atomic():
        moved.save(update_fields=["day", "room", "radiologist"])
        plan_refresh(plan)
        log_action(
            actor=actor,
            action="crisis.plan_item_moved",
            obj=plan,
            details={"item": moved.pk, "day": day.isoformat(), "room": room.pk},
        )
    return moved


def _nearest_days(
    plan: RecoveryPlan, moved: RecoveryItem, rooms: Any, rads: Any, limit: int = 3
) -> list[date]:
    """The days nearest to the one asked where the same room and radiologist could take it."""
    asked = moved.day
    assert asked is not None
    days = sorted({r.day for r in rooms}, key=lambda d: (abs((d - asked).days), d))
    found: list[date] = []
    for day in days:
        if day == asked:
            continue
        moved.day = day
        if not _rules(moved) and not _overload(plan, moved, rooms, rads):
            found.append(day)
            if len(found) == limit:
                break
    moved.day = asked
    return sorted(found)


def _rules(moved: RecoveryItem) -> list[str]:
    assert moved.day is not None and moved.room is not None
    errors = []
    if moved.day < moved.earliest:
        errors.append(
            _("avant la date au plus tôt (%(d)s)") % {"d": moved.earliest.strftime("%d/%m/%Y")}
        )
    proc = moved.request.procedure
    if moved.kind == "procedure" and moved.room.modality not in {proc.modality, proc.alt_modality}:
        errors.append(_("la salle n'a pas l'équipement nécessaire"))
    return errors


def _overload(plan: RecoveryPlan, moved: RecoveryItem, rooms: Any, rads: Any) -> list[str]:
    """Capacity left on the target day once the plan's other items are counted."""
    assert moved.day is not None
    room_cap = {(r.day, r.room_id): r.minutes for r in rooms}
    rad_cap = {(k.day, k.radiologist_id): k.minutes for k in rads}
    same_day = plan.items.filter(removed=False, day=moved.day).exclude(pk=moved.pk)
    room_used = sum(i.duration_min for i in same_day if i.room_id == moved.room_id)
    rad_used = sum(i.duration_min for i in same_day if i.radiologist_id == moved.radiologist_id)
    errors = []
    if room_used + moved.duration_min > room_cap.get((moved.day, moved.room_id), 0):
        errors.append(_("la salle est complète ce jour-là"))
    if rad_used + moved.duration_min > rad_cap.get((moved.day, moved.radiologist_id), 0):
        errors.append(_("le radiologue est complet ce jour-là"))
    return errors


def item_remove(*, item: RecoveryItem, actor: Any) -> RecoveryItem:
    """Take an item out of the plan: the request stays deferred, to be booked by hand."""
    plan = item.plan
    if plan.status != PlanStatus.PROPOSED:
        raise CrisisError(_("Ce plan n'est plus modifiable."))
    with transaction.atomic():
        item.removed = True
        item.save(update_fields=["removed"])
        plan_refresh(plan)
        log_action(
            actor=actor, action="crisis.plan_item_removed", obj=plan, details={"item": item.pk}
        )
    return item
