"""The patient's space (issue 13, point 5): waiting-list status and "me retirer", the name on the
referral and the centre's phone on the booking pages, a history of past and cancelled
appointments, the consultation shown done once recorded."""

from __future__ import annotations

import pytest
from django.urls import reverse

from geste.audit.models import AuditEvent
from geste.clinic.models import Procedure, Site
from geste.pathway.models import RequestState
from geste.pathway.records import Consultation
from geste.pathway.waitlist import waitlist_join
from geste.scheduling.models import AppointmentKind, AppointmentStatus, WaitlistStatus
from tests.pathway.factories import book, make_request
from tests.scheduling.conftest import at, centre, frozen, validated_request  # noqa: F401

pytestmark = pytest.mark.django_db


def _section(page: str, title: str) -> str:
    start = page.index(f"<h2>{title}</h2>")
    following = page.find("<h2>", start + 1)
    return page[start : following if following != -1 else len(page)]


def test_booking_pages_show_the_referral_name_and_the_phone(centre, client) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    Site.objects.filter(pk=centre.site.pk).update(phone="01 23 45 67 89")
    page = client.get(reverse("portal:book")).content.decode()
    epidural = Procedure.objects.get(code="epidural_infiltration")
    assert epidural.plain_label in page and "« Infiltration épidurale" in page
    assert "01 23 45 67 89" in page
    slot_page = client.get(reverse("portal:book_slot", args=["epidural_infiltration"]))
    assert "Infiltration épidurale" in slot_page.content.decode()
    assert "01 23 45 67 89" in slot_page.content.decode()


def test_history_holds_past_and_cancelled_and_the_done_consultation(  # type: ignore[no-untyped-def]
    centre,  # noqa: F811
    alice,
    alice_client,
    radiologist,
):
    consulted = make_request(alice, state=RequestState.CONSULTATION_BOOKED)
    # Today's consultation, still ahead in time, but the radiologist has recorded it.
    consultation = book(
        consulted, at("2026-03-09", "11:00"), radiologist, kind=AppointmentKind.CONSULTATION
    )
    Consultation.objects.create(request=consulted, radiologist=radiologist)
    other = make_request(alice, state=RequestState.CONSULTATION_BOOKED)
    cancelled = book(
        other,
        at("2026-03-20", "10:00"),
        radiologist,
        kind=AppointmentKind.CONSULTATION,
        status=AppointmentStatus.CANCELLED,
    )
    ahead = book(other, at("2026-03-23", "10:00"), radiologist, kind=AppointmentKind.CONSULTATION)
    page = alice_client.get(reverse("portal:my_appointments")).content.decode()
    upcoming, history = _section(page, "À venir"), _section(page, "Historique")
    assert reverse("portal:my_ics", args=[ahead.pk]) in upcoming
    assert "lundi 23 mars 2026" in upcoming
    assert "vendredi 20 mars 2026" in history and "Annulé" in history
    assert "lundi 9 mars 2026" in history and "Consultation faite" in history
    assert "vendredi 20 mars" not in upcoming and "lundi 9 mars" not in upcoming
    assert reverse("portal:my_ics", args=[consultation.pk]) not in page
    assert reverse("portal:my_ics", args=[cancelled.pk]) not in page


def test_waiting_list_status_and_leaving_it(  # type: ignore[no-untyped-def]
    centre,  # noqa: F811
    alice,
    alice_client,
    bob_client,
    radiologist,
):
    req = validated_request(alice, validated_by=radiologist)
    req.state = RequestState.PROCEDURE_BOOKED
    req.save(update_fields=["state"])
    book(req, at("2026-04-02", "10:00"), radiologist)
    entry = waitlist_join(request=req, actor=alice.user)
    page = alice_client.get(reverse("portal:my_appointments")).content.decode()
    leave = reverse("portal:my_waitlist_leave", args=[entry.pk])
    assert "Sur la liste d'attente depuis le 9 mars" in page and leave in page
    assert "Être prévenu d'un créneau plus proche" not in page
    assert bob_client.post(leave).status_code == 404  # not hers
    assert alice_client.get(leave).status_code == 405
    response = alice_client.post(leave, follow=True)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WITHDRAWN
    assert AuditEvent.objects.filter(action="waitlist.left", patient=alice).exists()
    page = response.content.decode()
    assert "Vous êtes retiré de la liste" in page
    assert "Être prévenu d'un créneau plus proche" in page  # she may join again
    assert alice_client.post(leave).status_code == 404  # already withdrawn
