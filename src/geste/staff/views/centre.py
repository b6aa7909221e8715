"""Back-office pages. Every view is behind a role check; writes go through services."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.models import CentreSettings
from geste.staff.forms import CentreSettingsForm
from geste.staff.roles import allow


@allow("staff:settings")
def centre_settings(request: HttpRequest) -> HttpResponse:
    instance = CentreSettings.current()
    form = CentreSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changed = {name: str(form.cleaned_data[name]) for name in form.changed_data}
            form.save()
            log_action(
                actor=request.user,
                action="settings.updated",
                obj=instance,
                request=request,
                details={"changed": changed},
            )
        messages.success(request, _("Paramètres enregistrés."))
        return redirect("staff:settings")
    holds = instance.holds.all()
    return render(request, "staff/settings.html", {"form": form, "holds": holds})
