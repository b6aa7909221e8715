"""Patient pages. A patient only ever reaches their own records."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from geste.clinic.access import own_patient, patient_required


@patient_required
def home(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request.user)
    return render(request, "portal/home.html", {"patient": patient})
