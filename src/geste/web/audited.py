"""Reading a list that shows patients' names beside what is done to them (planner, arrivals,
worklists, agenda, dashboard) is a read of clinical data: one audit event per page shown
(issue 12, point 5), with the page and the day asked, never the names."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

from geste.audit.services import log_action

View = Callable[..., HttpResponse]


def audited_list(name: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            if request.method == "GET" and response.status_code == 200:
                log_action(
                    actor=request.user,
                    action="worklist.read",
                    request=request,
                    details={
                        "page": name,
                        **{k: request.GET[k][:20] for k in ("jour", "vue") if k in request.GET},
                    },
                )
            return response

        return wrapper

    return decorator
