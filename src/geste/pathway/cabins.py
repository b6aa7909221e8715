"""Changing cabins: the technologist installs an arrived patient in a free cabin of the site and
frees it when the patient leaves. One patient per cabin is enforced by the database (a partial
unique constraint), so two technologists clicking at once cannot share a cabin."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import Actor, log_action
from geste.clinic.models import Cabin
from geste.pathway.models import CabinAssignment, ProcedureRequest, RequestState

# A request in one of these states has left the cabin: its assignment is freed lazily.
LEFT_STATES = frozenset(
    {
        RequestState.PERFORMED,
        RequestState.REPORTED,
        RequestState.FOLLOWED_UP,
        RequestState.CANCELLED,
        RequestState.DEFERRED,
        RequestState.IN_DISCUSSION,
    }
)


class CabinError(Exception):
    """The cabin cannot take this patient (taken, inactive, or patient not arrived)."""


def _release(assignment: CabinAssignment, *, actor: Actor, at: datetime) -> None:
    assignment.released_at = at
    assignment.save(update_fields=["released_at"])
    log_action(
        actor=actor,
        action="cabin.released",
        obj=assignment,
        patient=assignment.request.patient,
        details={"cabin": assignment.cabin_id, "request": assignment.request_id},
    )


def release_departed(*, actor: Actor = None) -> int:
    """Free the cabins of patients whose procedure is recorded or whose request left the day."""
    now = timezone.now()
    stale = CabinAssignment.objects.select_related("request__patient").filter(
        released_at__isnull=True, request__state__in=LEFT_STATES
    )
    count = 0
    for assignment in stale.select_for_update():
        _release(assignment, actor=actor, at=now)
        count += 1
    return count


def cabin_assign(*, request: ProcedureRequest, cabin: Cabin, actor: Actor) -> CabinAssignment:
    if not cabin.active:
        raise CabinError(_("Cette cabine n'est pas en service."))
    if request.state not in (RequestState.CHECKED_IN, RequestState.READY):
        raise CabinError(_("Le patient n'est pas arrivé."))
    with transaction.atomic():
        release_departed(actor=actor)
        current = CabinAssignment.objects.filter(request=request, released_at__isnull=True)
        for previous in current.select_related("request__patient").select_for_update():
            _release(previous, actor=actor, at=timezone.now())
        try:
            with transaction.atomic():
                assignment = CabinAssignment.objects.create(
                    request=request, cabin=cabin, assigned_at=timezone.now()
                )
        except IntegrityError as exc:
            raise CabinError(_("Cette cabine est déjà occupée.")) from exc
        log_action(
            actor=actor,
            action="cabin.assigned",
            obj=assignment,
            patient=request.patient,
            details={"cabin": cabin.pk, "request": request.pk},
        )
    return assignment


def cabin_release(*, request: ProcedureRequest, actor: Actor) -> int:
    """Free the cabin a request occupies; returns how many assignments were closed (0 or 1)."""
    with transaction.atomic():
        now = timezone.now()
        count = 0
        for assignment in (
            CabinAssignment.objects.select_related("request__patient")
            .filter(request=request, released_at__isnull=True)
            .select_for_update()
        ):
            _release(assignment, actor=actor, at=now)
            count += 1
    return count


def occupancy(request_ids: Iterable[int]) -> dict[int, str]:
    """Name of the cabin each request occupies now (one query); departed requests are left out."""
    return dict(
        CabinAssignment.objects.filter(request_id__in=list(request_ids), released_at__isnull=True)
        .exclude(request__state__in=LEFT_STATES)
        .values_list("request_id", "cabin__name")
    )


def free_cabins() -> list[Cabin]:
    """Active cabins without a patient (one query); a departed patient's cabin counts as free."""
    busy = CabinAssignment.objects.filter(released_at__isnull=True).exclude(
        request__state__in=LEFT_STATES
    )
    return list(
        Cabin.objects.filter(active=True)
        .exclude(pk__in=busy.values("cabin_id"))
        .select_related("site")
        .order_by("site__name", "name")
    )
