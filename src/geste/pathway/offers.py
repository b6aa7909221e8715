"""Answering a waiting-list offer: accepting books (or moves) through the guarded booking
service, at the offered time; declining passes the time to the next patient."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.pathway.booking import appointment_book, appointment_move
from geste.pathway.waitlist import offer_next
from geste.scheduling.errors import BookingError
from geste.scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    OfferStatus,
    WaitlistOffer,
    WaitlistStatus,
)


def offer_accept(*, offer: WaitlistOffer, actor: Any) -> Appointment:
    """Accept: book the offered time (or move the current appointment to it), atomically."""
    with transaction.atomic():
        locked = WaitlistOffer.objects.select_for_update().get(pk=offer.pk)
        if locked.status != OfferStatus.PENDING or locked.expires_at <= timezone.now():
            raise BookingError(_("Cette proposition n'est plus valable."))
        # Accepted first: the offer's own hold must not block its acceptance (a failed
        # booking below rolls this back with everything else).
        locked.status = OfferStatus.ACCEPTED
        locked.save(update_fields=["status"])
        entry = locked.entry
        current = entry.appointment
        if current is not None and current.status == AppointmentStatus.BOOKED:
            appointment = appointment_move(
                appointment=current,
                start=locked.start,
                room=locked.room,
                radiologist=locked.radiologist,
                actor=actor,
            )
        else:
            appointment = appointment_book(
                patient=entry.patient,
                kind=AppointmentKind.PROCEDURE,
                procedure=entry.request.procedure,
                start=locked.start,
                room=locked.room,
                radiologist=locked.radiologist,
                actor=actor,
                request=entry.request,
            )
        locked.appointment = appointment
        locked.save(update_fields=["appointment"])
        entry.status = WaitlistStatus.SERVED
        entry.save(update_fields=["status"])
        log_action(actor=actor, action="waitlist.accepted", obj=locked, patient=entry.patient)
    return appointment


def offer_decline(*, offer: WaitlistOffer, actor: Any) -> None:
    with transaction.atomic():
        locked = WaitlistOffer.objects.select_for_update().get(pk=offer.pk)
        if locked.status != OfferStatus.PENDING:
            return
        locked.status = OfferStatus.DECLINED
        locked.save(update_fields=["status"])
        log_action(
            actor=actor, action="waitlist.declined", obj=locked, patient=locked.entry.patient
        )
    offer_next(
        start=locked.start, end=locked.end, room=locked.room, radiologist_id=locked.radiologist_id
    )
