"""The equipment's dose on staff pages (issue 15): dose reports that matched no procedure,
matched by hand; the median dose per room and procedure beside the NRD; dose alerts read.

The writes are the dicom room's services (`dose_report_match`, `dose_alert_acknowledge`),
each audited there; these views only choose and show."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from geste import PARIS
from geste.audit.services import log_action
from geste.dicom.alerts import dose_alert_acknowledge
from geste.dicom.models import DoseAlert, DoseReport
from geste.dicom.selectors import dose_by_room_procedure, nrd_table, unmatched_dose_reports
from geste.dicom.services import MatchError, dose_report_match
from geste.scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from geste.staff.roles import allow

# The page lists at most this many unmatched reports (newest first); more is a unit
# misconfigured, which the list's length already says.
UNMATCHED_SHOWN = 100


def candidates(report: DoseReport) -> list[Appointment]:
    """The procedures a report may belong to: procedure appointments the day the unit says
    it was performed (received, if it gave no date), and the days either side."""
    when = report.performed_at or report.received_at
    day = timezone.localtime(when).date()
    return list(
        Appointment.objects.filter(
            kind=AppointmentKind.PROCEDURE,
            request__isnull=False,
            start__date__gte=day - timedelta(days=1),
            start__date__lte=day + timedelta(days=1),
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("request__patient", "request__procedure", "room")
        .order_by("start", "pk")
    )


class DoseMatchForm(forms.Form):
    """One unmatched report and the procedure chosen among its day's (never any request)."""

    report = forms.IntegerField(widget=forms.HiddenInput)
    appointment = forms.IntegerField(label=gettext_lazy("Geste"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        report = DoseReport.objects.filter(pk=data["report"], request__isnull=True).first()
        if report is None:
            raise forms.ValidationError(_("Ce rapport de dose est déjà rattaché."))
        chosen = next((a for a in candidates(report) if a.pk == data["appointment"]), None)
        if chosen is None:
            raise forms.ValidationError(_("Choisissez un geste du jour de ce rapport."))
        data["report_obj"], data["appointment_obj"] = report, chosen
        return data


def _option(appt: Appointment) -> str:
    req = appt.request
    assert req is not None
    start = timezone.localtime(appt.start).strftime("%d/%m %H:%M")
    return f"{start} · {appt.room.name} · {req.patient} · {req.procedure.label}"


@allow("staff:dose_unmatched")
def dose_unmatched(request: HttpRequest) -> HttpResponse:
    form = DoseMatchForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                dose_report_match(
                    report=d["report_obj"], request=d["appointment_obj"].request, actor=request.user
                )
            except MatchError:
                messages.error(request, _("Ce rapport de dose est déjà rattaché."))
            else:
                messages.success(request, _("Rapport de dose rattaché au geste."))
            return redirect("staff:dose_unmatched")
        for error in form.non_field_errors() or [_("Choisissez un geste.")]:
            messages.error(request, str(error))
    reports = list(unmatched_dose_reports()[:UNMATCHED_SHOWN])
    # The file's own patient identity is shown to match it: a read of patient data.
    log_action(
        actor=request.user,
        action="dicom.dose_unmatched_read",
        request=request,
        details={"reports": [r.pk for r in reports]},
    )
    rows = [(r, [(a.pk, _option(a)) for a in candidates(r)]) for r in reports]
    return render(request, "staff/dose_unmatched.html", {"rows": rows})


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


@allow("staff:dose")
def dose_levels(request: HttpRequest) -> HttpResponse:
    """Median dose-area product per room and procedure over a period (default: the last
    twelve months), beside the national reference level where one is transcribed."""
    today = timezone.localdate()
    since = _day(request.GET.get("du"), today - timedelta(days=365))
    until = _day(request.GET.get("au"), today)
    # A reporting period of the whole centre (all sites): its default zone's days.
    rows = dose_by_room_procedure(
        since=datetime.combine(since, time.min, tzinfo=PARIS),
        until=datetime.combine(until + timedelta(days=1), time.min, tzinfo=PARIS),
    )
    nrd = nrd_table()
    return render(
        request,
        "staff/dose_levels.html",
        {
            "rows": rows,
            "since": since,
            "until": until,
            "nrd_source": nrd["source"],
            "nrd_empty": not nrd["levels"],
        },
    )


@require_POST
@allow("staff:dose_alert_ack")
def dose_alert_ack(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(DoseAlert.objects.select_related("report__request"), pk=pk)
    if alert.acknowledged_at is not None:
        messages.info(request, _("Alerte de dose déjà vue."))
    else:
        dose_alert_acknowledge(alert=alert, actor=request.user)
        messages.success(request, _("Alerte de dose marquée comme vue."))
    return redirect("staff:dashboard")
