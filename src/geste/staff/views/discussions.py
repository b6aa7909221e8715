"""Discussions with the referring clinicians: the staff list and form, and the public answer
page behind the secure link (no account; the token is the credential, stored hashed)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.crisis import selectors
from geste.crisis.discussions import Answer, discussion_answer
from geste.crisis.errors import CrisisError
from geste.crisis.forms import AnswerForm
from geste.staff.roles import allow


def _initial(discussion) -> dict[str, object]:  # type: ignore[no-untyped-def]
    req = discussion.request
    return {
        "threatening_lesion": req.threatening_lesion,
        "severe_pain": req.severe_pain,
        "local_tumor_control_needed": req.local_tumor_control_needed,
    }


def _answer(form: AnswerForm) -> Answer:
    data = form.cleaned_data
    return Answer(
        clinicians_confirmed=bool(data["clinicians_confirmed"]),
        threatening_lesion=bool(data["threatening_lesion"]),
        severe_pain=bool(data["severe_pain"]),
        local_tumor_control_needed=bool(data["local_tumor_control_needed"]),
    )


@allow("crisis:discussions")
def discussion_list(request: HttpRequest) -> HttpResponse:
    discussions = selectors.open_discussions()
    return render(request, "staff/crisis/discussions.html", {"discussions": discussions})


@allow("crisis:discussion")
def discussion_detail(request: HttpRequest, discussion_id: int) -> HttpResponse:
    discussion = selectors.get_discussion(discussion_id)
    data = request.POST if request.method == "POST" else None
    form = AnswerForm(data, initial=_initial(discussion))
    if request.method == "POST" and discussion.is_open and form.is_valid():
        try:
            discussion_answer(
                discussion=discussion, answer=_answer(form), actor=request.user, via="staff"
            )
        except CrisisError as exc:
            messages.error(request, str(exc))
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
    return render(request, "staff/crisis/discussion.html", {"discussion": discussion, "form": form})
