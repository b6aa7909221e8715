"""The day's worklists (reception, technologist, radiologist) as plain rows.

A centre can have a thousand procedures in a day: each row is built from one `values_list`
query into a dict of ready-to-print strings (time, name, labels, urls), so that the template
does no lookups, no translation and no url reversing per row. Labels are translated once per
page; urls are built from one reversed pattern. The strings are escaped here, once, as
`SafeString`s (`_html`): the template's own escaping of each value cost a third of the
rendering of a thousand rows.

What each page shows first (the rest one click away, "Tout afficher"):
- reception: who is expected next (not arrived yet, earliest first, late ones on top) and who
  has arrived and is waiting;
- technologist: who has arrived (to fetch and prepare), then who is next;
- radiologist: the same list, with the engine's verdict per request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from geste.clinic.models import Role
from geste.clinic.selectors import site_zone
from geste.pathway.models import RequestState
from geste.pathway.rows import aware_utc, fetch_rows
from geste.pathway.selectors import to_remove
from geste.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
)
from geste.scheduling.selectors import day_bounds, on_local_days

# How many upcoming rows a page shows before "Tout afficher".
SHOWN = 40
ARRIVED = frozenset({RequestState.CHECKED_IN, RequestState.READY})
FINISHED = frozenset({RequestState.PERFORMED, RequestState.REPORTED, RequestState.FOLLOWED_UP})
_FIELDS = (
    "pk",
    "start",
    "status",
    "request_id",
    "request__state",
    "request__pregnancy_checked_at",
    "request__pregnancy_checked_answer",
    "patient__last_name",
    "patient__first_names",
    "patient__sex",
    "patient__birth_date",
    "procedure__code",
    "procedure__label_fr",
    "procedure__label_en",
    "room__name",
    "radiologist__first_name",
    "radiologist__last_name",
    "room__site__time_zone",
)
_SENTINEL = 987654321


def _html(text: str) -> SafeString:
    """`text` escaped for HTML, as Django's `escape` does, without its lazy-string wrapper."""
    return SafeString(escape(text))


def url_maker(name: str) -> Callable[[int], str]:
    """`reverse(name, args=[pk])` for many pks at the cost of one reverse (an escaped path:
    a SafeString, printed as is)."""
    pattern = reverse(name, args=[_SENTINEL])
    head, tail = (escape(part) for part in pattern.split(str(_SENTINEL)))
    return lambda pk: SafeString(f"{head}{int(pk)}{tail}")


@dataclass
class DayList:
    rows: list[dict[str, Any]]
    expected: list[dict[str, Any]] = field(default_factory=list)
    arrived: list[dict[str, Any]] = field(default_factory=list)
    finished: int = 0
    hidden: int = 0  # expected rows not shown unless "Tout afficher"

    @property
    def shown(self) -> list[dict[str, Any]]:
        return [*self.arrived, *self.expected]


def day_rows(day: date) -> list[dict[str, Any]]:
    """Every active procedure appointment of the day, in time order: one query, its rows
    read as the driver gives them (`rows.fetch_rows`: Django's per-value converters cost more
    than the rest of the row at a thousand appointments). The day and the times are the
    room's site's local ones (`on_local_days`)."""
    first, last = day_bounds(day)
    qs = (
        Appointment.objects.filter(
            on_local_days(first, last),
            kind=AppointmentKind.PROCEDURE,
            status__in=ACTIVE_STATUSES,
        )
        .order_by("start", "room_id")
        .values_list(*_FIELDS)
    )
    english = (get_language() or "fr").startswith("en")
    states = {s.value: _html(str(s.label)) for s in RequestState}
    detail = url_maker("staff:request_detail")
    tz = timezone.get_current_timezone()
    tz_name = timezone.get_current_timezone_name()
    rows = []
    removes: dict[str, str] = {}
    labels: dict[str, str] = {}
    no_state = SafeString("")
    for (
        pk,
        start,
        status,
        request_id,
        state,
        preg_at,
        preg_answer,
        last_name,
        first_names,
        sex,
        born,
        code,
        label_fr,
        label_en,
        room,
        rad_first,
        rad_last,
        site_tz,
    ) in fetch_rows(qs):
        here = site_zone(site_tz) if site_tz and site_tz != tz_name else tz
        local = aware_utc(start).astimezone(here)
        if local.date() != day:  # a site in another zone: the row of another local day
            continue
        if code not in removes:
            removes[code] = _html(to_remove(code))
            labels[code] = _html(label_en if english else label_fr)
        preg_at = aware_utc(preg_at)
        rows.append(
            {
                "pk": pk,
                "time": SafeString(local.strftime("%H:%M")),
                "status": status,
                "request_id": request_id,
                "state": state or "",
                "state_label": states.get(state, no_state),
                "patient": _html(f"{last_name.upper()} {first_names}"),
                "female": sex == "F",
                "sex": sex,
                "birth_date": born,
                "procedure": labels[code],
                "room": _html(room),
                "radiologist": _html(f"Dr {rad_first} {rad_last}".strip()),
                "remove": removes[code],
                "pregnancy_at": (
                    SafeString(preg_at.astimezone(here).strftime("%H:%M")) if preg_at else ""
                ),
                "pregnancy_answer": preg_answer,
                "url": detail(request_id) if request_id else "",
            }
        )
    return rows


def split(rows: Iterable[dict[str, Any]], *, show_all: bool, shown: int = SHOWN) -> DayList:
    """Arrived (in the building), expected (not arrived yet), finished (count only)."""
    all_rows = list(rows)
    out = DayList(rows=all_rows)
    for r in all_rows:
        if r["state"] in ARRIVED:
            out.arrived.append(r)
        elif r["state"] in FINISHED or r["status"] == "done":
            out.finished += 1
        else:
            out.expected.append(r)
    if not show_all and len(out.expected) > shown:
        out.hidden = len(out.expected) - shown
        out.expected = out.expected[:shown]
    return out


def day_consultations(day: date) -> list[dict[str, Any]]:
    """The day's consultations (one query), for the radiologist to open each request; the
    day and times are the room's site's local ones."""
    first, last = day_bounds(day)
    detail = url_maker("staff:request_detail")
    tz = timezone.get_current_timezone()
    tz_name = timezone.get_current_timezone_name()
    states = {s.value: str(s.label) for s in RequestState}
    english = (get_language() or "fr").startswith("en")
    qs = (
        Appointment.objects.filter(
            on_local_days(first, last),
            kind=AppointmentKind.CONSULTATION,
            status__in=ACTIVE_STATUSES,
        )
        .order_by("start", "pk")
        .values_list(
            "start",
            "request_id",
            "request__state",
            "patient__last_name",
            "patient__first_names",
            "procedure__plain_fr",
            "procedure__plain_en",
            "video",
            "room__site__time_zone",
        )
    )
    rows = []
    for start, request_id, state, surname, first_names, plain_fr, plain_en, video, site_tz in qs:
        local = start.astimezone(site_zone(site_tz) if site_tz and site_tz != tz_name else tz)
        if local.date() != day:  # a site in another zone: the row of another local day
            continue
        rows.append(
            {
                "time": SafeString(local.strftime("%H:%M")),
                "url": detail(request_id) if request_id else "",
                "state_label": _html(states.get(state, "")),
                "patient": _html(f"{surname.upper()} {first_names}"),
                "procedure": _html(plain_en if english else plain_fr),
                "video": video,
            }
        )
    return rows


_CALENDAR_FIELDS = (
    *("pk", "start", "end", "status", "kind", "video", "override_reason", "request_id"),
    *("room_id", "room__name", "patient__last_name", "patient__first_names"),
    *("procedure__label_fr", "procedure__label_en"),
    *("radiologist__first_name", "radiologist__last_name", "radiologist__username"),
    *("radiologist__role", "room__site__time_zone"),
)


def calendar_rows(
    first: datetime, last: datetime, *, radiologist: Any = None
) -> list[dict[str, Any]]:
    """Every appointment (any status) overlapping [first, last), bounds of local days in the
    default zone (for a site in another zone: the same local days in its zone, and some of the
    days around them, which the caller, keying rows by their "day", does not show), in time
    order, as rows of
    ready-to-print strings for the planner and the agenda: one query, no model instance, no
    url reversed or label translated per row (a day can hold a thousand appointments).

    Each row: pk, kind, status, status_label, day (local date), start (aware), time
    ("08:00–08:30"), room_id, room, patient, what (the procedure, or "Consultation (vidéo)"),
    radiologist ("Dr …"), forced (booked over a warning), and the urls of the request and of
    the actions allowed now (move before the start, no-show after it, cancel while booked)."""
    qs = Appointment.objects.filter(on_local_days(first, last, overlap=True))
    if radiologist is not None:
        qs = qs.filter(radiologist=radiologist)
    english = (get_language() or "fr").startswith("en")
    statuses = {s.value: _html(str(s.label)) for s in AppointmentStatus}
    consultation = _html(_("Consultation"))
    video = _html(f"{_('Consultation')} ({_('vidéo')})")
    procedures: dict[str, SafeString] = {}
    radiologists: dict[tuple[str, str, str, str], SafeString] = {}
    rooms: dict[int, SafeString] = {}
    detail = url_maker("staff:request_detail")
    move, cancel = url_maker("staff:staff_move"), url_maker("staff:staff_cancel")
    no_show = url_maker("staff:staff_no_show")
    tz = timezone.get_current_timezone()
    tz_name = timezone.get_current_timezone_name()
    now = timezone.now()
    rows = []
    for (
        pk,
        start,
        end,
        status,
        kind,
        is_video,
        override_reason,
        request_id,
        room_id,
        room,
        last_name,
        first_names,
        label_fr,
        label_en,
        rad_first,
        rad_last,
        rad_username,
        rad_role,
        site_tz,
    ) in qs.order_by("start", "room_id").values_list(*_CALENDAR_FIELDS):
        # The room's local time: its site's zone (a site elsewhere), else the page's.
        here = site_zone(site_tz) if site_tz and site_tz != tz_name else tz
        local = start.astimezone(here)
        booked = status == AppointmentStatus.BOOKED
        if kind == AppointmentKind.CONSULTATION:
            what = video if is_video else consultation
        else:
            label = label_en if english else label_fr
            what = procedures.get(label) or procedures.setdefault(label, _html(label))
        rad_key = (rad_first, rad_last, rad_username, rad_role)
        radiologist_name = radiologists.get(rad_key)
        if radiologist_name is None:
            full = f"{rad_first} {rad_last}".strip()
            radiologist_name = radiologists[rad_key] = _html(
                f"Dr {full}" if rad_role == Role.RADIOLOGIST and full else full or rad_username
            )
        room_name = rooms.get(room_id) or rooms.setdefault(room_id, _html(room))
        rows.append(
            {
                "pk": pk,
                "kind": kind,
                "status": status,
                "status_label": statuses.get(status) or _html(status),
                "day": local.date(),
                "start": start,
                "time": SafeString(f"{local:%H:%M}–{end.astimezone(here):%H:%M}"),
                "room_id": room_id,
                "room": room_name,
                "patient": _html(f"{last_name.upper()} {first_names}"),
                "what": what,
                "radiologist": radiologist_name,
                "forced": bool(override_reason),
                "url": detail(request_id) if request_id else "",
                "move_url": move(pk) if booked and start > now else "",
                "cancel_url": cancel(pk) if booked else "",
                "no_show_url": no_show(pk) if booked and start <= now else "",
            }
        )
    return rows
