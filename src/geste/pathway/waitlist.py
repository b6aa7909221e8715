"""Waiting list: entries and offers (issue 4, point 6); accepting an offer is in offers.py.

A patient with a validated indication asks for an earlier slot. When a slot frees, one offer
goes to the first waiting patient who fits (clinical priority, then waiting time), held for
`CentreSettings.waitlist_offer_hours`; accepting books (or moves) atomically; a declined or
expired offer goes to the next patient. Manual reordering needs a reason and is audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.messages import message_send
from geste.clinic.models import CentreSettings, MessageKind
from geste.clinic.selectors import site_zone
from geste.pathway.crisis_gate import crisis_allows, policy_in_force
from geste.pathway.prerequisites import prerequisites
from geste.pathway.sessions import session_length
from geste.scheduling import capacity, locking
from geste.scheduling.errors import BookingError, SlotTaken
from geste.scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    OfferStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from geste.scheduling.services import check_free


def clinical_priority(request: Any) -> int:
    """Lower first: urgent clinical flags, then severe pain, then everyone else."""
    if (
        request.threatening_lesion
        or request.urgent_diagnosis_needed
        or request.intrathecal_chemotherapy
        or request.local_tumor_control_needed
    ):
        return 10
    if request.severe_pain or (request.pain_nrs or 0) >= 8:
        return 50
    return 100


def waitlist_join(*, request: Any, actor: Any) -> WaitlistEntry:
    if not request.indication_validated:
        raise BookingError(_("La liste d'attente est ouverte après validation de l'indication."))
    with transaction.atomic():
        current = (
            Appointment.objects.filter(
                request=request,
                kind=AppointmentKind.PROCEDURE,
                status=AppointmentStatus.BOOKED,
            )
            .order_by("start")
            .first()
        )
        entry, created = WaitlistEntry.objects.get_or_create(
            request=request,
            status=WaitlistStatus.WAITING,
            defaults={
                "patient": request.patient,
                "appointment": current,
                "priority": clinical_priority(request),
            },
        )
        if created:
            log_action(actor=actor, action="waitlist.joined", obj=entry, patient=request.patient)
    return entry


def waitlist_leave(*, entry: WaitlistEntry, actor: Any) -> None:
    with transaction.atomic():
        entry.status = WaitlistStatus.WITHDRAWN
        entry.save(update_fields=["status"])
        log_action(actor=actor, action="waitlist.left", obj=entry, patient=entry.patient)


def waitlist_reorder(*, entry: WaitlistEntry, priority: int, actor: Any, reason: str) -> None:
    """Manual reordering: a reason is required and kept (audited)."""
    if not reason.strip():
        raise BookingError(_("Indiquez le motif du changement d'ordre."))
    with transaction.atomic():
        old = entry.priority
        entry.priority, entry.reorder_reason = priority, reason.strip()
        entry.save(update_fields=["priority", "reorder_reason"])
        log_action(
            actor=actor,
            action="waitlist.reordered",
            obj=entry,
            patient=entry.patient,
            details={"from": old, "to": priority},
        )


def _fits(entry: WaitlistEntry, start: datetime, room: Any, radiologist_id: int) -> bool:
    procedure = entry.request.procedure
    if room.modality not in {procedure.modality, procedure.alt_modality} - {""}:
        return False
    if procedure.code not in capacity.skills([radiologist_id]).get(radiologist_id, frozenset()):
        return False
    if entry.appointment is not None and entry.appointment.start <= start:
        return False
    pre = prerequisites(
        patient=entry.patient,
        procedure=procedure,
        kind="procedure",
        request=entry.request,
        room=room,
    )
    return not pre.blocked and pre.not_before <= start


def offer_next(*, start: datetime, end: datetime, room: Any, radiologist_id: int) -> int:
    """Offer a free time to the first waiting patient who fits; 0 or 1 offer made. During a
    crisis only requests the policy maintains are offered a time (pathway.crisis_gate)."""
    if start <= timezone.now():
        return 0
    policy = policy_in_force()
    tried = set(
        WaitlistOffer.objects.filter(start=start, room=room).values_list("entry_id", flat=True)
    )
    entries = (
        WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING)
        .exclude(pk__in=tried)
        .select_related("patient", "request__procedure", "appointment")
    )
    hours = CentreSettings.current().waitlist_offer_hours
    for entry in entries:
        if not _fits(entry, start, room, radiologist_id):
            continue
        if not crisis_allows(entry.request, policy):
            continue
        duration = session_length(
            kind=AppointmentKind.PROCEDURE,
            procedure=entry.request.procedure,
            request=entry.request,
        )
        if start + duration > end:
            continue
        try:
            with transaction.atomic():
                # The same recipe as a booking: the offer holds the time, so it must be free.
                locking.lock_resources(
                    room_id=room.pk, radiologist_id=radiologist_id, patient_id=entry.patient_id
                )
                check_free(
                    start=start,
                    end=start + duration,
                    room=room,
                    radiologist=radiologist_id,
                    patient=entry.patient,
                    exclude=entry.appointment_id,
                )
                offer = WaitlistOffer.objects.create(
                    entry=entry,
                    start=start,
                    end=start + duration,
                    room=room,
                    radiologist_id=radiologist_id,
                    expires_at=timezone.now() + timedelta(hours=hours),
                )
                log_action(actor=None, action="waitlist.offered", obj=offer, patient=entry.patient)
                transaction.on_commit(partial(_notify, offer))
        except SlotTaken:
            continue
        return 1
    return 0


def offer_freed_time(*, appointment_id: int, start_iso: str) -> int:
    appointment = Appointment.objects.select_related("room").filter(pk=appointment_id).first()
    start = parse_datetime(start_iso)
    if appointment is None or start is None:
        return 0
    end = start + (appointment.end - appointment.start)
    return offer_next(
        start=start, end=end, room=appointment.room, radiologist_id=appointment.radiologist_id
    )


def _notify(offer: WaitlistOffer) -> None:
    patient = offer.entry.patient
    zone = site_zone(offer.room.site.time_zone)  # the time at the site, wherever it is
    local = offer.start.astimezone(zone)
    url = settings.SITE_URL.rstrip("/") + reverse("portal:my_appointments")
    body = _(
        "Un créneau plus proche s'est libéré : le %(date)s à %(time)s. "
        "Il vous est réservé jusqu'à %(until)s. Répondez ici : %(url)s"
    ) % {
        "date": local.strftime("%d/%m/%Y"),
        "time": local.strftime("%H:%M"),
        "until": offer.expires_at.astimezone(zone).strftime("%H:%M"),
        "url": url,
    }
    message_send(
        patient_or_address=patient,
        kind=MessageKind.WAITLIST_OFFER,
        subject=_("Un créneau plus proche"),
        body=body,
    )


def offers_expire() -> int:
    """Expire stale offers and pass each freed time to the next patient."""
    count = 0
    for offer in WaitlistOffer.objects.filter(
        status=OfferStatus.PENDING, expires_at__lte=timezone.now()
    ).select_related("room"):
        WaitlistOffer.objects.filter(pk=offer.pk).update(status=OfferStatus.EXPIRED)
        offer_next(
            start=offer.start, end=offer.end, room=offer.room, radiologist_id=offer.radiologist_id
        )
        count += 1
    return count


def pending_offers(patient: Any) -> list[WaitlistOffer]:
    return list(
        WaitlistOffer.objects.filter(
            entry__patient=patient, status=OfferStatus.PENDING, expires_at__gt=timezone.now()
        ).select_related("room__site")
    )
