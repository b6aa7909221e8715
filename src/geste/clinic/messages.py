"""Messages to patients (issue 13, point 1): one way to send, e-mail and SMS, each recorded.

`message_send` sends the same minimal text by e-mail and SMS (a time, the centre, a link; never a
procedure, a drug or a diagnosis: callers build the text, `geste.clinic.messages` only sends) and
records one `SentMessage` row per channel with its status. A failing channel is recorded as
failed and never raises: a message is told after the change it reports has been committed, and a
mail server or SMS gateway that is down must not undo or hide that change. The text itself is not
kept (the administrators' page shows who, when, kind and status).

Callers send after commit (`transaction.on_commit`), so a rolled-back booking tells no one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage

from geste.clinic.models import MessageChannel, MessageStatus, SentMessage
from geste.clinic.sms import send_sms

logger = logging.getLogger(__name__)

# (file name, content, MIME type), as EmailMessage.attach takes them.
Attachment = tuple[str, bytes, str]


def site_link(path: str) -> str:
    """An absolute link for a message: GESTE_SITE_URL (which `geste demo` sets to its own
    address) and the path."""
    return settings.SITE_URL.rstrip("/") + path


def mask(address: str) -> str:
    """What the page of sent messages may show of a bare address: 'a***@example.org',
    '******5678'."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = address.strip()
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def _addresses(patient_or_address: Any) -> tuple[Any, str, str]:
    """(patient or None, e-mail, phone) of a patient (any object with email/phone) or of a
    bare address (an e-mail when it has an '@', else a phone number)."""
    if isinstance(patient_or_address, str):
        if "@" in patient_or_address:
            return None, patient_or_address, ""
        return None, "", patient_or_address
    target = patient_or_address
    return target, getattr(target, "email", "") or "", getattr(target, "phone", "") or ""


def _record(patient: Any, address: str, kind: str, channel: str, error: str) -> SentMessage:
    return SentMessage.objects.create(
        patient_id=getattr(patient, "pk", None),
        recipient="" if patient is not None else mask(address),
        kind=kind,
        channel=channel,
        status=MessageStatus.FAILED if error else MessageStatus.SENT,
        error=error[:80],
    )


def message_send(
    *,
    patient_or_address: Any,
    kind: str,
    subject: str,
    body: str,
    sms_body: str | None = None,
    attachments: Iterable[Attachment] = (),
    email: bool = True,
    sms: bool = True,
) -> list[SentMessage]:
    """Send `body` by e-mail (with `attachments`) and `sms_body` (default `body`) by SMS to
    whichever addresses the patient has; one SentMessage per channel tried."""
    patient, mail_to, phone = _addresses(patient_or_address)
    sent: list[SentMessage] = []
    if email and mail_to:
        error = ""
        try:
            message = EmailMessage(subject=subject, body=body, to=[mail_to])
            for name, content, mimetype in attachments:
                message.attach(name, content, mimetype)
            message.send()
        except Exception as exc:  # any mail failure is recorded, never raised (see above)
            error = type(exc).__name__
            logger.warning("message %s by e-mail failed: %s", kind, error)
        sent.append(_record(patient, mail_to, kind, MessageChannel.EMAIL, error))
    if sms and phone:
        error = ""
        try:
            if send_sms(phone, sms_body if sms_body is not None else body) < 1:
                error = "NoSmsGateway"
        except Exception as exc:  # a gateway failure is recorded, never raised
            error = type(exc).__name__
            logger.warning("message %s by SMS failed: %s", kind, error)
        sent.append(_record(patient, phone, kind, MessageChannel.SMS, error))
    return sent
