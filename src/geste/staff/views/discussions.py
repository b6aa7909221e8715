"""Discussions with the referring clinicians: the staff list (telephone tasks first) and the
form where staff record an answer given by telephone. The referring clinician's own page,
behind the secure link, is in the portal."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.crisis import selectors
from geste.crisis.discussions import discussion_answer
from geste.crisis.errors import CrisisError
from geste.crisis.forms import answer_form, answer_of
from geste.staff.roles import allow


@allow("crisis:discussions")
def discussion_list(request: HttpRequest) -> HttpResponse:
    telephone = request.GET.get("telephone") == "1"
    discussions = selectors.telephone_tasks() if telephone else selectors.open_discussions()
    return render(
        request,
        "staff/crisis/discussions.html",
        {
            # Telephone tasks first: nobody else will ask those clinicians.
            "discussions": discussions.order_by("-addressed_email", "created_at", "id")
            if not telephone
            else discussions.order_by("created_at", "id"),
            "telephone": telephone,
            "telephone_count": selectors.telephone_tasks().count(),
        },
    )


@allow("crisis:discussion")
def discussion_detail(request: HttpRequest, discussion_id: int) -> HttpResponse:
    """Staff record the answer (given by telephone, or after the crisis: information only)."""
    discussion = selectors.get_discussion(discussion_id)
    data = request.POST if request.method == "POST" else None
    form = answer_form(discussion, data)
    may_answer = discussion.answered_at is None
    if request.method == "POST" and may_answer and form.is_valid():
        try:
            done = discussion_answer(
                discussion=discussion, answer=answer_of(form), actor=request.user, via="staff"
            )
        except CrisisError as exc:
            messages.error(request, str(exc))
        else:
            if done.information_only:
                messages.success(
                    request,
                    _("Réponse enregistrée pour information : la crise est terminée."),
                )
            else:
                messages.success(request, _("Réponse enregistrée ; la demande a été re-triée."))
            return redirect("crisis:discussion", discussion_id=discussion.pk)
    log_action(
        actor=request.user,
        action="request.read",
        obj=discussion.request,
        request=request,
        details={"via": "crisis.discussion", "discussion": discussion.pk},
    )
    return render(
        request,
        "staff/crisis/discussion.html",
        {"discussion": discussion, "form": form, "may_answer": may_answer},
    )
