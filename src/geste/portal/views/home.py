"""Patient pages. A patient only ever reaches their own records."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from geste.clinic.access import patient_required
from geste.crisis.selectors import patient_deferrals
from geste.patients.access import own_patient
from geste.portal import selectors
from geste.portal.views.procedure import to_book


@patient_required
def home(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request.user)
    return render(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "home": selectors.home(patient, request.user),
            # Requests deferred or under discussion in a crisis: the notice at the top.
            "deferrals": list(patient_deferrals(patient)),
            # Validated indications she may now book herself ("Programmer mon geste").
            "to_book": to_book(patient),
        },
    )
