"""message_send: e-mail and SMS, one SentMessage per channel, failures recorded and never raised;
SMTP delivery checked against a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from geste.cli import demo_site_url
from geste.clinic import sms
from geste.clinic.messages import mask, message_send
from geste.clinic.models import MessageKind, MessageStatus, SentMessage

pytestmark = pytest.mark.django_db


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    # aiosmtpd's controller checks its server by connecting to the port it was given, so it
    # needs a real one: ask the system for a free port first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def _clear_sms() -> Iterator[None]:
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def test_smtp_delivery_with_calendar_file(smtp, alice) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
    ):
        rows = message_send(
            patient_or_address=alice,
            kind=MessageKind.BOOKED,
            subject="Rendez-vous confirmé",
            body="Rendez-vous le lundi 9 mars à 10:00, Centre test.",
            attachments=[
                ("rendez-vous.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
            ],
            sms=False,
        )
    assert [(r.channel, r.status) for r in rows] == [("email", MessageStatus.SENT)]
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert envelope.rcpt_tos == [alice.email]
    parsed = email.message_from_bytes(envelope.content)
    parts = {part.get_content_type(): part for part in parsed.walk()}
    assert "lundi 9 mars à 10:00" in parts["text/plain"].get_payload(decode=True).decode()
    assert parts["text/calendar"].get_filename() == "rendez-vous.ics"


def test_smtp_server_down_is_recorded_failed_not_raised(alice) -> None:  # type: ignore[no-untyped-def]
    alice.phone = "0612345678"
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=1,  # nothing listens there
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_TIMEOUT=2,
        GESTE_SMS_BACKEND="geste.clinic.sms.LocmemSmsBackend",
    ):
        rows = message_send(patient_or_address=alice, kind=MessageKind.MOVED, subject="s", body="b")
    assert [(r.channel, r.status) for r in rows] == [
        ("email", MessageStatus.FAILED),
        ("sms", MessageStatus.SENT),
    ]
    assert rows[0].error == "ConnectionRefusedError"
    # The SMS still went: one channel's failure does not stop the other.
    assert [m.body for m in sms.outbox] == ["b"]


def test_rows_keep_who_kind_status_never_the_text(alice) -> None:  # type: ignore[no-untyped-def]
    alice.phone = "0612345678"
    with override_settings(GESTE_SMS_BACKEND="geste.clinic.sms.LocmemSmsBackend"):
        message_send(
            patient_or_address=alice,
            kind=MessageKind.CANCELLED,
            subject="Rendez-vous annulé",
            body="Secret-free text 10:00",
            sms_body="short 10:00",
        )
    rows = list(SentMessage.objects.order_by("pk"))
    assert [(r.patient_id, r.kind, r.channel, r.status) for r in rows] == [
        (alice.pk, "cancelled", "email", "sent"),
        (alice.pk, "cancelled", "sms", "sent"),
    ]
    assert sms.outbox[0].body == "short 10:00"
    stored = " ".join(str(v) for r in rows for v in vars(r).values())
    assert "10:00" not in stored and alice.email not in stored


def test_bare_address_is_masked(mailoutbox) -> None:  # type: ignore[no-untyped-def]
    (row,) = message_send(
        patient_or_address="someone@example.org", kind=MessageKind.BOOKED, subject="s", body="b"
    )
    assert row.patient_id is None and row.recipient == "s***@example.org"
    assert mailoutbox[0].to == ["someone@example.org"]
    assert mask("0612345678") == "******5678"


def test_disabled_gateway_is_a_failure(alice) -> None:  # type: ignore[no-untyped-def]
    alice.email = ""
    alice.phone = "0612345678"
    with override_settings(GESTE_SMS_BACKEND="geste.clinic.sms.DisabledSmsBackend"):
        (row,) = message_send(
            patient_or_address=alice, kind=MessageKind.REMINDER, subject="s", body="b"
        )
    assert (row.channel, row.status, row.error) == ("sms", "failed", "NoSmsGateway")


def test_demo_links_point_at_its_own_host_and_port() -> None:
    assert demo_site_url("127.0.0.1", 8123) == "http://127.0.0.1:8123"
    assert demo_site_url("0.0.0.0", 9000) == "http://127.0.0.1:9000"  # noqa: S104
    assert demo_site_url("::1", 9000) == "http://[::1]:9000"
