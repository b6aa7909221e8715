"""Patient pages of the pathway (mon-espace/...) and the referring physician's secure link."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from geste.audit.services import log_action
from geste.crisis.discussions import Answer, discussion_answer
from geste.crisis.errors import CrisisError
from geste.crisis.forms import AnswerForm
from geste.crisis.selectors import discussion_for_token
from geste.documents.pdf import report_pdf
from geste.pathway.report_links import report_link_resolve
from geste.web.pages import pdf_response


def shared_report(request: HttpRequest, token: str) -> HttpResponse:
    """The referring physician's secure link: no login; 404 once expired or unknown."""
    link = report_link_resolve(token, request=request)
    if link is None:
        raise Http404
    log_action(
        actor=None,
        action="report.read_by_link",
        obj=link.report.request,
        request=request,
        details={"link": link.pk},
    )
    resp = pdf_response(report_pdf(link.report), f"compte-rendu-{link.report.request_id}.pdf")
    resp["Referrer-Policy"] = "no-referrer"
    return resp


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


def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The referring clinician's page: no login, a secure expiring link."""
    discussion = discussion_for_token(token)
    data = request.POST if request.method == "POST" else None
    form = AnswerForm(data, initial=_initial(discussion))
    if request.method == "POST" and form.is_valid():
        try:
            discussion_answer(discussion=discussion, answer=_answer(form), actor=None, via="link")
        except CrisisError as exc:
            messages.error(request, str(exc))
            return redirect("portal:crisis_answer", token=token)
        return render(request, "portal/crisis_answer_done.html", {})
    log_action(
        actor=None,
        action="request.read",
        obj=discussion.request,
        request=request,
        details={"via": "crisis.link", "discussion": discussion.pk},
    )
    return render(request, "portal/crisis_answer.html", {"discussion": discussion, "form": form})
