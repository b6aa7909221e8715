"""At login: note whether the user has a second factor, and start the idle clock."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from geste.security.middleware import StaffIdleTimeoutMiddleware
from geste.security.twofactor import SESSION_HAS_DEVICE, has_device


@receiver(user_logged_in)
def _prime_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    request.session[SESSION_HAS_DEVICE] = has_device(user)
    request.session[StaffIdleTimeoutMiddleware.SESSION_KEY] = int(time.time())
