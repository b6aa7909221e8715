"""A booking lock not obtained in time (`ResourceBusy`, PostgreSQL lock_timeout) is a clear
"busy, try again" page (409 with Retry-After), never a 500. Pages that book already show the
message beside the form; this catches any other page the exception escapes from."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from geste.scheduling.errors import ResourceBusy


class ResourceBusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ResourceBusy):
            return None
        response = render(
            request, "geste/errors/busy.html", {"message": str(exception)}, status=409
        )
        response["Retry-After"] = str(exception.retry_after_seconds)
        return response
