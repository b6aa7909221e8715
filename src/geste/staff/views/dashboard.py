"""Radiologists' dashboard and follow-up alerts (the outcomes page: staff/views/outcomes.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from geste.dicom.selectors import open_dose_alerts
from geste.pathway import selectors
from geste.pathway.alerts import alert_acknowledge
from geste.pathway.dashboard import dashboard as radiologist_dashboard
from geste.pathway.forms import ADVERSE_EVENTS, ReasonForm
from geste.pathway.models import FollowUp
from geste.pathway.services import TransitionError
from geste.pathway.services_after import followup_alert_clear
from geste.staff.roles import allow
from geste.web.audited import audited_list


@allow("staff:dashboard")
@audited_list("staff:dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    d = radiologist_dashboard(selectors.today(), show_all=request.GET.get("tout") == "1")
    labels = dict(ADVERSE_EVENTS)
    return render(
        request,
        "staff/dashboard.html",
        {
            "d": d,
            "alerts": [
                (fu, [str(labels.get(e, e)) for e in fu.adverse_events], _paging(fu))
                for fu in d.alerts
            ],
            "dose_alerts": open_dose_alerts(),
        },
    )


def _paging(followup: FollowUp) -> dict[str, Any]:
    """Who was paged last, and the page taken if any (the dashboard prefetched the pages)."""
    pages = list(followup.pages.all())
    taken = next((p for p in pages if p.acknowledged_at is not None), None)
    return {"paged": pages[-1] if pages else None, "taken": taken}


@require_POST
@allow("staff:alert_clear")
def alert_clear(request: HttpRequest, pk: int) -> HttpResponse:
    followup = get_object_or_404(FollowUp, pk=pk, alert=True)
    form = ReasonForm(request.POST)
    try:
        note = form.cleaned_data["reason"] if form.is_valid() else ""
        followup_alert_clear(followup=followup, actor=request.user, note=note)
        messages.success(request, _("Alerte traitée."))
    except TransitionError as exc:
        messages.error(request, str(exc))
    return redirect("staff:dashboard")


@require_POST
@allow("staff:alert_ack")
def alert_ack(request: HttpRequest, pk: int) -> HttpResponse:
    """The radiologist paged has seen the alert: the escalation stops."""
    followup = get_object_or_404(FollowUp, pk=pk, alert=True)
    alert_acknowledge(followup=followup, actor=request.user)
    messages.success(request, _("Alerte prise en charge."))
    return redirect("staff:dashboard")
