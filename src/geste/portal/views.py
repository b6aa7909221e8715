"""Patient pages. A patient only ever reaches their own records."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from geste.clinic.access import own_patient, patient_required
from geste.portal import selectors

CRISIS_NOTICE = "crisis/_patient_notice.html"


def _has_template(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


@patient_required
def home(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request.user)
    return render(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "home": selectors.home(patient, request.user),
            # The crisis room's notice (a deferral) when that room is installed.
            "crisis_notice": CRISIS_NOTICE if _has_template(CRISIS_NOTICE) else "",
        },
    )
