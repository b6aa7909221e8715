"""End of crisis: the recovery plan (propose, adjust, accept) and the crisis dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from geste.audit.services import log_action
from geste.clinic.models import Role, Room, User
from geste.crisis.dashboard import dashboard as dashboard_data
from geste.crisis.errors import CrisisError
from geste.crisis.forms import MoveItemForm
from geste.crisis.models import CrisisPeriod, PlanStatus, RecoveryItem, RecoveryPlan
from geste.crisis.recovery import plan_create as build_plan
from geste.crisis.recovery_actions import item_move, item_remove
from geste.crisis.recovery_actions import plan_accept as accept_plan
from geste.staff.roles import allow


def _get_plan(plan_id: int) -> RecoveryPlan:
    try:
        return RecoveryPlan.objects.select_related("crisis").get(pk=plan_id)
    except RecoveryPlan.DoesNotExist:
        raise Http404 from None


def _move_form(data: object = None, item: RecoveryItem | None = None) -> MoveItemForm:
    rooms = [(r.pk, str(r)) for r in Room.objects.filter(active=True)]
    rads = [
        (u.pk, u.display_name)
        for u in User.objects.filter(role=Role.RADIOLOGIST, is_active=True).order_by("last_name")
    ]
    initial = {}
    if item is not None:
        initial = {"day": item.day, "room": item.room_id, "radiologist": item.radiologist_id}
    prefix = f"i{item.pk}" if item is not None else None
    return MoveItemForm(data, rooms=rooms, radiologists=rads, initial=initial, prefix=prefix)  # type: ignore[arg-type]


@allow("crisis:plan_create")
@require_POST
def plan_create(request: HttpRequest) -> HttpResponse:
    crisis = CrisisPeriod.objects.filter(active=False).order_by("-ended_at").first()
    if crisis is None:
        messages.error(request, _("Aucune crise terminée : pas de plan de reprise à préparer."))
        return redirect("crisis:home")
    try:
        plan = build_plan(crisis=crisis, actor=request.user)
    except CrisisError as exc:
        messages.error(request, str(exc))
        return redirect("crisis:home")
    return redirect("crisis:plan", plan_id=plan.pk)


@allow("crisis:plan")
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _get_plan(plan_id)
    items = list(
        plan.items.select_related(
            "request__patient", "request__procedure", "room", "radiologist", "appointment"
        )
    )
    log_action(actor=request.user, action="crisis.plan_read", obj=plan, request=request)
    editable = plan.status == PlanStatus.PROPOSED
    rows = [{"item": i, "form": _move_form(item=i) if editable else None} for i in items]
    return render(
        request, "staff/crisis/plan.html", {"plan": plan, "rows": rows, "editable": editable}
    )


@allow("crisis:plan_accept")
@require_POST
def plan_accept(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _get_plan(plan_id)
    try:
        result = accept_plan(plan=plan, actor=request.user)
    except CrisisError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Plan accepté : %(n)s rendez-vous pris.") % {"n": result.booked}
        )
        for item_id, reason in result.failed:
            messages.warning(request, _("Élément %(i)s : %(r)s") % {"i": item_id, "r": reason})
    return redirect("crisis:plan", plan_id=plan.pk)


@allow("crisis:plan_item")
@require_POST
def item_adjust(request: HttpRequest, plan_id: int, item_id: int) -> HttpResponse:
    plan = _get_plan(plan_id)
    try:
        item = plan.items.get(pk=item_id)
    except RecoveryItem.DoesNotExist:
        raise Http404 from None
    try:
        if request.POST.get("action") == "remove":
            item_remove(item=item, actor=request.user)
            messages.success(request, _("Élément retiré du plan ; la demande reste reportée."))
        else:
            form = _move_form(request.POST, item=item)
            if not form.is_valid():
                raise CrisisError(_("Jour, salle ou radiologue invalide."))
            item_move(
                item=item,
                day=form.cleaned_data["day"],
                room=Room.objects.get(pk=form.cleaned_data["room"]),
                radiologist=User.objects.get(pk=form.cleaned_data["radiologist"]),
                actor=request.user,
            )
            messages.success(request, _("Élément déplacé."))
    except CrisisError as exc:
        messages.error(request, str(exc))
    return redirect("crisis:plan", plan_id=plan.pk)


@allow("crisis:dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    crisis = CrisisPeriod.objects.order_by("-started_at").first()
    return render(request, "staff/crisis/dashboard.html", dashboard_data(crisis))
