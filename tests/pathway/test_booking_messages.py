"""Every booking, move and cancellation tells the patient once (issue 13, point 1): after commit,
e-mail and SMS, a time, the centre and a link from GESTE_SITE_URL; never the procedure or a
drug; changed instructions folded into the same message; each delivery recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from geste.clinic import sms
from geste.clinic.models import SentMessage
from geste.pathway.booking import (
    appointment_book,
    appointment_cancel,
    appointment_move,
    earliest_slots,
)
from geste.scheduling.forms import slot_value
from geste.scheduling.models import AppointmentKind
from tests.conftest import client_for
from tests.pathway.factories import declare
from tests.scheduling.conftest import NOW, at, centre, frozen, proc, validated_request  # noqa: F401

pytestmark = pytest.mark.django_db

FORBIDDEN = ("infiltration", "péridurale", "facettaire", "eliquis", "apixaban")


@pytest.fixture(autouse=True)
def _sms() -> Iterator[None]:
    sms.outbox.clear()
    with override_settings(
        GESTE_SMS_BACKEND="geste.clinic.sms.LocmemSmsBackend",
        SITE_URL="http://demo.example:8123",
    ):
        yield
    sms.outbox.clear()


def _book(centre, patient, actor, *, kind=AppointmentKind.CONSULTATION, **kw):  # type: ignore[no-untyped-def]  # noqa: F811
    kw.setdefault("start", at("2026-03-11", "09:00"))
    kw.setdefault("room", centre.room1)
    kw.setdefault("radiologist", centre.radio)
    return appointment_book(
        patient=patient, kind=kind, procedure=proc("facet_infiltration"), actor=actor, **kw
    )


def _clean(text: str) -> None:
    for word in FORBIDDEN:
        assert word not in text.lower()


def test_booking_confirmed_by_mail_and_sms_after_commit(  # type: ignore[no-untyped-def]
    centre,  # noqa: F811
    alice,
    receptionist,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    alice.phone = "0612345678"
    alice.save(update_fields=["phone"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _book(centre, alice, receptionist)
    assert mailoutbox == [] and sms.outbox == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1 and len(sms.outbox) == 1
    message = mailoutbox[0]
    assert message.to == [alice.email]
    for text in (message.body, sms.outbox[0].body):
        assert "mercredi 11 mars 2026 à 09:00" in text and "Centre test" in text
        assert "http://demo.example:8123/mon-espace/rendez-vous/" in text
        _clean(text)
    name, content, mimetype = message.attachments[0]
    ics = content.decode() if isinstance(content, bytes) else str(content)
    assert name == "rendez-vous.ics" and mimetype == "text/calendar"
    assert "DESCRIPTION:Rendez-vous au centre d'imagerie" in ics
    assert "http://demo.example:8123/" in ics
    _clean(ics)
    rows = list(SentMessage.objects.order_by("channel").values_list("kind", "channel", "status"))
    assert rows == [("booked", "email", "sent"), ("booked", "sms", "sent")]


def test_move_and_cancel_by_reception_are_told(  # type: ignore[no-untyped-def]
    centre,  # noqa: F811
    alice,
    receptionist,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = _book(centre, alice, receptionist)
        appointment_move(
            appointment=appointment, start=at("2026-03-12", "14:30"), actor=receptionist
        )
        appointment_cancel(appointment=appointment, actor=receptionist, reason="demande")
    subjects = [m.subject for m in mailoutbox]
    assert subjects == [
        "Votre rendez-vous est confirmé",
        "Votre rendez-vous a changé",
        "Votre rendez-vous est annulé",
    ]
    assert "déplacé au jeudi 12 mars 2026 à 14:30" in mailoutbox[1].body
    assert "du jeudi 12 mars 2026 à 14:30 (Centre test) est annulé" in mailoutbox[2].body
    assert mailoutbox[2].attachments == []  # no calendar event for a cancelled time
    emails = SentMessage.objects.filter(channel="email").order_by("pk")
    assert list(emails.values_list("kind", flat=True)) == [
        "booked",
        "moved",
        "cancelled",
    ]


def test_procedure_booked_with_changed_instructions_is_one_message(  # type: ignore[no-untyped-def]
    centre,  # noqa: F811
    alice,
    radiologist,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    req = validated_request(alice, validated_by=radiologist)
    declare(alice, NOW - timedelta(hours=2), request=req, meds=[("Eliquis", NOW, "")])
    with django_capture_on_commit_callbacks(execute=True):
        _book(
            centre,
            alice,
            radiologist,
            kind=AppointmentKind.PROCEDURE,
            request=req,
            start=at("2026-03-16", "10:00"),
        )
    assert len(mailoutbox) == 1  # not a confirmation and a separate "instructions" message
    body = mailoutbox[0].body
    assert "Rendez-vous confirmé le lundi 16 mars 2026 à 10:00" in body
    assert "consignes de préparation ont changé" in body
    _clean(body)
    assert set(SentMessage.objects.values_list("kind", flat=True)) == {"procedure_booked"}


def test_rolled_back_booking_tells_no_one(  # type: ignore[no-untyped-def]
    centre,  # noqa: F811
    alice,
    receptionist,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                _book(centre, alice, receptionist)
                raise RuntimeError("later failure")
        except RuntimeError:
            pass
    assert mailoutbox == [] and not SentMessage.objects.exists()


def test_a_caller_that_tells_on_its_own_opts_out(  # type: ignore[no-untyped-def]
    centre,  # noqa: F811
    alice,
    receptionist,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = _book(centre, alice, receptionist, tell_patient=False)
        appointment_cancel(
            appointment=appointment, actor=receptionist, reason="crise", tell_patient=False
        )
    assert mailoutbox == []


def test_staff_booking_the_procedure_tells_her(  # type: ignore[no-untyped-def]
    centre,  # noqa: F811
    alice,
    receptionist,
    radiologist,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    req = validated_request(alice, validated_by=radiologist)
    slot = earliest_slots(
        procedure=req.procedure, patient=alice, kind="procedure", limit=1, request=req
    )[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(receptionist).post(
            reverse("staff:procedure_book", args=[req.pk]),
            {"slot": slot_value(slot.start, slot.room.pk, slot.radiologist.pk)},
        )
    assert response.status_code == 302
    (message,) = mailoutbox
    assert message.to == [alice.email] and message.subject == "Votre rendez-vous est confirmé"
    _clean(message.body)
    assert SentMessage.objects.filter(patient=alice, kind="procedure_booked").exists()
