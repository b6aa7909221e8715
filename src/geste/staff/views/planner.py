"""Staff pages: the reception planner (day or week per room, htmx), moves, agendas."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from geste.clinic.models import Room
from geste.clinic.selectors import site_zone
from geste.pathway import worklists
from geste.pathway.booking import appointment_cancel, appointment_mark_no_show, appointment_move
from geste.scheduling.errors import BookingError
from geste.scheduling.forms import CancelForm, StaffMoveForm
from geste.scheduling.models import Appointment
from geste.scheduling.selectors import day_bounds
from geste.staff.roles import allow
from geste.web.audited import audited_list


def _day(request: HttpRequest) -> date:
    raw = request.GET.get("jour", "")
    try:
        return date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        raise Http404 from None


def _staff_appointment(appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.select_related("patient", "procedure", "room__site", "radiologist")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


@allow("staff:planner")
@audited_list("staff:planner")
def planner(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    week = request.GET.get("vue") == "semaine"
    first = day - timedelta(days=day.weekday()) if week else day
    count = 7 if week else 1
    start, _end = day_bounds(first)
    _s, end = day_bounds(first + timedelta(days=count - 1))
    rooms = list(Room.objects.filter(active=True))
    by_room: dict[int, dict[date, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in worklists.calendar_rows(start, end):
        by_room[row["room_id"]][row["day"]].append(row)
    days = [first + timedelta(days=i) for i in range(count)]
    columns = [
        {"room": room, "days": [(d, by_room[room.pk].get(d, [])) for d in days]} for room in rooms
    ]
    step = timedelta(days=7 if week else 1)
    context: dict[str, Any] = {
        "day": day,
        "week": week,
        "days": days,
        "columns": columns,
        "prev": (day - step).isoformat(),
        "next": (day + step).isoformat(),
    }
    template = "staff/_planner.html" if request.htmx else "staff/planner.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@allow("staff:staff_move")
def staff_move(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = _staff_appointment(appointment_id)
    local = appointment.start.astimezone(site_zone(appointment.room.site.time_zone))
    form = StaffMoveForm(
        request.POST or None,
        initial={
            "day": local.date(),
            "time": local.time(),
            "room": appointment.room,
            "radiologist": appointment.radiologist,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            appointment_move(
                appointment=appointment,
                start=form.start(),
                room=form.cleaned_data["room"],
                radiologist=form.cleaned_data["radiologist"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except BookingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Rendez-vous déplacé."))
            moved = form.start().date()  # in the new room's zone: its local day
            return redirect(f"{_planner_url()}?jour={moved.isoformat()}")
    return render(request, "staff/staff_move.html", {"a": appointment, "form": form})


def _local_day(appointment: Appointment) -> date:
    """The appointment's day on the planner: its room's site's local day."""
    return appointment.start.astimezone(site_zone(appointment.room.site.time_zone)).date()


def _planner_url() -> str:
    from django.urls import reverse

    return reverse("staff:planner")


@allow("staff:staff_cancel")
def staff_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = _staff_appointment(appointment_id)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment_cancel(
                appointment=appointment, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except BookingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Rendez-vous annulé."))
            return redirect(f"{_planner_url()}?jour={_local_day(appointment).isoformat()}")
    return render(request, "staff/staff_cancel.html", {"a": appointment, "form": form})


@allow("staff:staff_no_show")
@require_POST
def staff_no_show(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = _staff_appointment(appointment_id)
    try:
        appointment_mark_no_show(appointment=appointment, actor=request.user)
    except BookingError as exc:
        messages.error(request, str(exc))
    return redirect(f"{_planner_url()}?jour={_local_day(appointment).isoformat()}")
