from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from geste.clinic.access import clinician_required


@clinician_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "crisis/home.html", {})
