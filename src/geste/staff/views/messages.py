"""Messages sent to patients (administrators; issue 13, point 1): who, when, kind, channel and
status, never the text (it is not kept). A failed delivery is there to be followed up by phone."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from geste.clinic.models import MessageKind, MessageStatus, SentMessage
from geste.staff.roles import allow


@allow("staff:messages")
def sent_messages(request: HttpRequest) -> HttpResponse:
    messages = SentMessage.objects.select_related("patient")
    status = request.GET.get("status", "")
    if status in MessageStatus.values:
        messages = messages.filter(status=status)
    kind = request.GET.get("kind", "")
    if kind in MessageKind.values:
        messages = messages.filter(kind=kind)
    page = Paginator(messages, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/messages.html",
        {
            "page": page,
            "status": status,
            "kind": kind,
            "statuses": MessageStatus.choices,
            "kinds": MessageKind.choices,
        },
    )
