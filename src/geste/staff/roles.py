"""Who may open which staff page: every view takes its decorator from THE role table,
`geste.web.access` (issue 12, point 4), by its URL name, so the table reads in one place."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from geste.web.access import BOOKERS, may, roles_for

F = TypeVar("F", bound=Callable[..., HttpResponse])

# Reception, radiologists and administrators book, move and cancel appointments.
BOOKING_ROLES = tuple(sorted(BOOKERS))


def allow(key: str, *, by: str | None = None) -> Callable[[F], F]:
    """Anonymous users go to the login page; a logged-in user whose role the table does not
    list for `key` gets 403. With `by`, the URL argument of that name narrows the key
    (`staff:staff_pdf` + kind `compte-rendu` -> `staff:staff_pdf:compte-rendu`) when the
    table has that finer entry."""
    roles_for(key)  # an unknown key fails at import, not at the first request

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            name = key
            if by is not None:
                finer = f"{key}:{kwargs.get(by)}"
                try:
                    roles_for(finer)
                    name = finer
                except KeyError:
                    pass
            if not may(request.user, name):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.access_key = key  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
