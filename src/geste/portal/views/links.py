"""Patient pages of the pathway (mon-espace/...) and the referring physician's secure link."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from geste.audit.services import log_action
from geste.crisis.discussions import discussion_answer
from geste.crisis.errors import CrisisError
from geste.crisis.forms import answer_form, answer_of
from geste.crisis.selectors import discussion_by_token
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


def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The referring clinician's page: no login, a secure expiring link. A link already used,
    expired, or closed by the end of the crisis opens a page that says so (410)."""
    discussion = discussion_by_token(token)  # 404 for a token we never issued
    if not discussion.is_open or discussion.expires_at <= timezone.now():
        return render(
            request, "portal/crisis_answer_closed.html", {"discussion": discussion}, status=410
        )
    data = request.POST if request.method == "POST" else None
    form = answer_form(discussion, data)
    if request.method == "POST" and form.is_valid():
        try:
            discussion_answer(discussion=discussion, answer=answer_of(form), actor=None, via="link")
        except CrisisError as exc:
            messages.error(request, str(exc))
        else:
            return render(request, "portal/crisis_answer_done.html", {})
    log_action(
        actor=None,
        action="request.read",
        obj=discussion.request,
        request=request,
        details={"via": "crisis.link", "discussion": discussion.pk},
    )
    return render(request, "portal/crisis_answer.html", {"discussion": discussion, "form": form})
