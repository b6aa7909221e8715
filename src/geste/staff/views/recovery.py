"""End of crisis: the recovery plan (propose, adjust, accept) and the crisis dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from geste.audit.services import log_action
from geste.clinic.models import Role, Room, User
from geste.crisis import selectors
from geste.crisis.dashboard import dashboard as dashboard_data
from geste.crisis.errors import CrisisError
from geste.crisis.forms import MoveItemForm
from geste.crisis.jobs import job_create
from geste.crisis.models import CrisisPeriod, JobKind, PlanStatus, RecoveryItem, RecoveryPlan
from geste.crisis.recovery_actions import item_move, item_remove
from geste.staff.roles import allow

PAGE_SIZE = 50


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
    """Confirmation page with the counts, then plan creation in the background."""
    crisis = CrisisPeriod.objects.filter(active=False).order_by("-ended_at").first()
    if crisis is None or selectors.active_crisis() is not None:
        messages.error(request, _("Aucune crise terminée : pas de plan de reprise à préparer."))
        return redirect("crisis:home")
    if request.POST.get("confirmed") != "1":
        return render(request, "staff/crisis/plan_confirm.html", selectors.end_counts())
    job = job_create(kind=JobKind.PLAN_CREATE, actor=request.user, total=3)
    return redirect("crisis:job", job_id=job.pk)


@allow("crisis:plan")
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The plan in plain words (waits per priority, in days), its rows 50 to a page."""
    plan = _get_plan(plan_id)
    search = request.GET.get("q", "").strip()[:80]
    items = plan.items.select_related(
        "request__patient", "request__procedure", "room", "radiologist", "appointment"
    )
    if search:
        items = items.filter(request__patient__last_name__icontains=search)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    log_action(
        actor=request.user,
        action="crisis.plan_read",
        obj=plan,
        request=request,
        details={"page": page.number, "search": bool(search)},
    )
    editable = plan.status == PlanStatus.PROPOSED
    rows = [{"item": i, "form": _move_form(item=i) if editable else None} for i in page]
    return render(
        request,
        "staff/crisis/plan.html",
        {
            "plan": plan,
            "rows": rows,
            "page": page,
            "q": search,
            "editable": editable,
            "by_priority": selectors.plan_waits(plan),
            "total_items": plan.items.count(),
        },
    )


@allow("crisis:plan_accept")
@require_POST
def plan_accept(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Confirmation page with the counts, then the bookings in the background."""
    plan = _get_plan(plan_id)
    if plan.status != PlanStatus.PROPOSED:
        messages.error(request, _("Ce plan n'est plus une proposition."))
        return redirect("crisis:plan", plan_id=plan.pk)
    if request.POST.get("confirmed") != "1":
        to_book = plan.items.filter(removed=False, day__isnull=False, appointment__isnull=True)
        return render(
            request,
            "staff/crisis/plan_accept_confirm.html",
            {"plan": plan, "to_book": to_book.count(), "unplanned": plan.unplanned},
        )
    job = job_create(kind=JobKind.PLAN_ACCEPT, actor=request.user, plan=plan)
    return redirect("crisis:job", job_id=job.pk)


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
