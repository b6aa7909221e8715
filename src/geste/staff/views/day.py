"""Staff pages of the pathway: intake, consultation, labs, the day, record, report."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from geste.clinic.models import Cabin, CentreSettings
from geste.pathway import selectors, worklists
from geste.pathway.cabins import CabinError, cabin_assign, cabin_release, free_cabins, occupancy
from geste.pathway.forms import (
    PregnancyCheckForm,
)
from geste.pathway.models import RequestState
from geste.pathway.services import (
    TransitionError,
)
from geste.pathway.services_day import (
    pregnancy_check_record,
    request_check_in,
)
from geste.patients.selectors import asks_pregnancy_of
from geste.staff.roles import allow
from geste.web.audited import audited_list


@allow("staff:reception")
@audited_list("staff:reception")
def reception(request: HttpRequest) -> HttpResponse:
    day = worklists.split(
        worklists.day_rows(selectors.today()), show_all=request.GET.get("tout") == "1"
    )
    check_in_url = worklists.url_maker("staff:check_in")
    for r in day.expected:
        r["check_in"] = check_in_url(r["request_id"]) if r["request_id"] else ""
    return render(request, "staff/reception.html", {"day": day})


@require_POST
@allow("staff:check_in")
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    try:
        request_check_in(request=req, actor=request.user)
        messages.success(request, _("Arrivée enregistrée : %(n)s.") % {"n": req.patient})
    except TransitionError as exc:
        messages.error(request, str(exc))
    return redirect("staff:reception")


@allow("staff:tech_worklist")
@audited_list("staff:tech_worklist")
def tech_worklist(request: HttpRequest) -> HttpResponse:
    day = worklists.split(
        worklists.day_rows(selectors.today()), show_all=request.GET.get("tout") == "1"
    )
    pregnancy_url = worklists.url_maker("staff:pregnancy_check")
    rows = (*day.arrived, *day.expected)
    # Asked where the engine asks: sex F or X, within the centre's childbearing ages.
    centre, today = CentreSettings.current(), selectors.today()
    asked = {
        r["request_id"]: asks_pregnancy_of(r["sex"], r["birth_date"], today, centre=centre)
        for r in rows
        if r["request_id"]
    }
    in_cabin = occupancy(asked)
    assign_url = worklists.url_maker("staff:cabin_assign")
    release_url = worklists.url_maker("staff:cabin_release")
    for r in rows:
        ask = asked.get(r["request_id"], False) and not r["pregnancy_at"]
        r["pregnancy_url"] = pregnancy_url(r["request_id"]) if ask else ""
        r["cabin"] = in_cabin.get(r["request_id"], "")
        arrived = r["state"] in _ARRIVED and r["request_id"]
        r["cabin_assign_url"] = assign_url(r["request_id"]) if arrived and not r["cabin"] else ""
        r["cabin_release_url"] = release_url(r["request_id"]) if r["cabin"] else ""
    context = {"day": day, "free_cabins": free_cabins()}
    return render(request, "staff/worklist.html", context)


_ARRIVED = frozenset({RequestState.CHECKED_IN, RequestState.READY})


@require_POST
@allow("staff:cabin_assign")
def cabin_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    cabin = Cabin.objects.filter(pk=request.POST.get("cabin") or 0, active=True).first()
    if cabin is None:
        messages.error(request, _("Choisissez une cabine libre."))
        return redirect("staff:tech_worklist")
    try:
        cabin_assign(request=req, cabin=cabin, actor=request.user)
        messages.success(request, _("Patient installé en %(c)s.") % {"c": cabin.name})
    except CabinError as exc:
        messages.error(request, str(exc))
    return redirect("staff:tech_worklist")


@require_POST
@allow("staff:cabin_release")
def cabin_release_view(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    if cabin_release(request=req, actor=request.user):
        messages.success(request, _("Cabine libérée."))
    return redirect("staff:tech_worklist")


@require_POST
@allow("staff:pregnancy_check")
def pregnancy_check(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    form = PregnancyCheckForm(request.POST)
    if form.is_valid():
        answer = {"yes": True, "no": False}.get(form.cleaned_data["answer"])
        pregnancy_check_record(request=req, actor=request.user, possibly_pregnant=answer)
        messages.success(request, _("Réponse enregistrée."))
    return redirect("staff:tech_worklist")
