"""The administrators' page of sent messages: who, when, kind, status; never the text."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from geste.clinic.messages import message_send
from geste.clinic.models import MessageKind
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_administrator_sees_who_kind_status_not_the_text(admin_user, alice) -> None:  # type: ignore[no-untyped-def]
    alice.phone = "0612345678"
    with override_settings(GESTE_SMS_BACKEND="geste.clinic.sms.DisabledSmsBackend"):
        message_send(
            patient_or_address=alice,
            kind=MessageKind.MOVED,
            subject="Votre rendez-vous a changé",
            body="Rendez-vous déplacé au 12/03 à 14:30",
        )
    page = client_for(admin_user).get(reverse("staff:messages")).content.decode()
    assert "MOREAU Alice" in page and reverse("staff:patient", args=[alice.pk]) in page
    assert "Rendez-vous déplacé" in page  # the kind's label
    assert "envoyé" in page and "échec" in page and "NoSmsGateway" in page
    assert "14:30" not in page and alice.email not in page
    failed = client_for(admin_user).get(reverse("staff:messages"), {"status": "failed"})
    assert failed.content.decode().count("<tr>") == 2  # header and the SMS row


@pytest.mark.parametrize("persona", ["receptionist", "technologist", "radiologist"])
def test_other_roles_may_not_open_it(persona, request) -> None:  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(persona)
    assert client_for(user).get(reverse("staff:messages")).status_code == 403
