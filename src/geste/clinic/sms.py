"""Pluggable SMS backends. Messages carry a time and a link, never a procedure or diagnosis."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Sms:
    to: str
    body: str


class SmsBackend(Protocol):
    def send(self, messages: list[Sms]) -> int: ...


class ConsoleSmsBackend:
    def send(self, messages: list[Sms]) -> int:
        for message in messages:
            sys.stdout.write(f"[SMS to {message.to}] {message.body}\n")
        return len(messages)


class DisabledSmsBackend:
    """Production without an SMS gateway: nothing is sent (reminders still go by e-mail)."""

    def send(self, messages: list[Sms]) -> int:
        return 0


outbox: list[Sms] = []


class LocmemSmsBackend:
    """Test backend: keeps messages in `geste.clinic.sms.outbox`."""

    def send(self, messages: list[Sms]) -> int:
        outbox.extend(messages)
        return len(messages)


def send_sms(to: str, body: str) -> int:
    backend: SmsBackend = import_string(settings.GESTE_SMS_BACKEND)()
    return backend.send([Sms(to=to, body=body)])
