"""Calendar file of an appointment (.ics): a time, a place, a link. No procedure, no diagnosis."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from geste.scheduling.models import Appointment


def appointment_ics(appointment: Appointment) -> bytes:
    site = appointment.room.site
    cal = Calendar()
    cal.add("prodid", "-//geste//rendez-vous//FR")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"appointment-{appointment.pk}@geste")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("summary", _("Rendez-vous — %(site)s") % {"site": site.name})
    event.add("location", site.address.replace("\n", ", "))
    url = settings.SITE_URL.rstrip("/") + reverse("portal:my_appointments")
    event.add("url", url)
    # Neutral on purpose: a calendar is often shared or synced (no procedure, no drug).
    event.add(
        "description",
        _("Rendez-vous au centre d'imagerie. Détails et modifications : %(url)s") % {"url": url},
    )
    cal.add_component(event)
    return cal.to_ical()
