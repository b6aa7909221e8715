"""Reception pages: book a new appointment for a patient (with the radiologist's or the
administrator's override), and the waiting list (reordering needs a logged reason)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from geste.pathway.waitlist import waitlist_reorder
from geste.scheduling.forms import (
    WaitlistReorderForm,
)
from geste.scheduling.models import WaitlistEntry, WaitlistStatus
from geste.scheduling.selectors import waiting_list
from geste.staff.roles import allow


@allow("staff:waitlist")
@require_http_methods(["GET", "POST"])
def waitlist(request: HttpRequest) -> HttpResponse:
    """The waiting list in offer order; each line can be moved with a reason (audited)."""
    forms: dict[int, WaitlistReorderForm] = {}
    if request.method == "POST":
        raw = request.POST.get("entry", "")
        entry = (
            WaitlistEntry.objects.filter(
                pk=int(raw) if raw.isdigit() else 0,  # a typed-in "abc" is a 404, not a 500
                status=WaitlistStatus.WAITING,
            )
            .select_related("patient")
            .first()
        )
        if entry is None:
            raise Http404
        form = WaitlistReorderForm(request.POST, prefix=f"e{entry.pk}")
        if form.is_valid():
            waitlist_reorder(
                entry=entry,
                priority=form.cleaned_data["priority"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("Ordre de la liste d'attente modifié."))
            return redirect("staff:waitlist")
        forms[entry.pk] = form
    now = timezone.now()
    rows = [
        {
            "entry": e,
            "waiting_days": (now - e.created_at).days,
            "form": forms.get(e.pk)
            or WaitlistReorderForm(initial={"priority": e.priority}, prefix=f"e{e.pk}"),
        }
        for e in waiting_list()
    ]
    return render(request, "staff/waitlist.html", {"rows": rows})
