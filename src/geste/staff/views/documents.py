"""Staff reading of the files a request came with: the referral letter and the lab reports.

Staff roles only; every download audited (the file is health data). Served inline with the
type we accepted at upload (PDF, PNG, JPEG), never cached, and never sniffed by the browser."""

from __future__ import annotations

import mimetypes
from pathlib import PurePath

from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from geste.audit.services import log_action
from geste.pathway import selectors
from geste.patients.models import LabResult
from geste.staff.roles import allow

_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


def _file_response(file: FieldFile, filename: str) -> HttpResponse:
    ext = PurePath(file.name or "").suffix.lower()
    content_type = _TYPES.get(ext) or mimetypes.guess_type(file.name or "")[0]
    if content_type not in _TYPES.values():
        raise Http404  # only what the upload forms accept is ever served
    try:
        with file.open("rb") as handle:  # at most 10 MB (upload forms): read whole
            data = handle.read()
    except OSError:
        raise Http404 from None
    resp = HttpResponse(data, content_type=content_type)
    resp["Content-Disposition"] = f'inline; filename="{filename}{ext}"'
    resp["Cache-Control"] = "no-store"
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


@allow("staff:referral_letter")
def referral_letter(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    if not req.referral_letter:
        raise Http404
    resp = _file_response(req.referral_letter, f"courrier-{req.pk}")
    log_action(
        actor=request.user,
        action="document.downloaded",
        obj=req,
        patient=req.patient,
        request=request,
        details={"kind": "referral_letter"},
    )
    return resp


@allow("staff:lab_document")
def lab_document(request: HttpRequest, pk: int) -> HttpResponse:
    lab = get_object_or_404(LabResult.objects.select_related("patient"), pk=pk)
    if not lab.document:
        raise Http404
    resp = _file_response(lab.document, f"bilan-{lab.pk}")
    log_action(
        actor=request.user,
        action="document.downloaded",
        obj=lab,
        patient=lab.patient,
        request=request,
        details={"kind": "lab_result"},
    )
    return resp
