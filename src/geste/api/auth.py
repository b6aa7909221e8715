"""API authentication and authorisation: a bearer token from `geste api-token`, or a staff
session with CSRF; then the role table (`geste.web.access.API`) per endpoint and verb.

Both ways in meet the same table: a technologist refused on the booking page is refused here
too, with his token or with his browser session (issue 12, point 4). The check runs in the
authentication step, before any parameter is read, so a refused role learns nothing about the
objects it names (`GET /slots?patient=N` does not say whether patient N exists).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer

from geste.api.models import ApiToken, hash_token
from geste.clinic.models import STAFF_ROLES
from geste.web.access import may

FORBIDDEN = "your role may not use this endpoint (see the README, 'Access by role')"


def _authorise(user: Any, key: str | None) -> Any:
    if key is not None and not may(user, key):
        raise HttpError(403, FORBIDDEN)
    return user


class StaffBearer(HttpBearer):
    def __init__(self, key: str | None = None) -> None:
        super().__init__()
        self.key = key

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            api_token = ApiToken.objects.select_related("user").get(
                key_hash=hash_token(token), revoked_at__isnull=True
            )
        except ApiToken.DoesNotExist:
            return None
        user = api_token.user
        if not user.is_active or user.role not in STAFF_ROLES:
            return None
        now = timezone.now()
        # One write a minute at most: a busy client must not turn every read into a write.
        if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = user
        return _authorise(user, self.key)


class StaffSession(APIKeyCookie):
    """Django session cookie of a logged-in staff member (CSRF checked by ninja)."""

    param_name = "sessionid"

    def __init__(self, key: str | None = None) -> None:
        super().__init__()
        self.key = key

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.role in STAFF_ROLES:
            return _authorise(user, self.key)
        return None


def api_auth(key: str) -> list[Any]:
    """The authentication of one operation, keyed `"VERB /api/v1/path"` in the role table."""
    return [StaffBearer(key), StaffSession(key)]


# The API's default: a staff member. Every operation also names its key with api_auth();
# tests/test_access_matrix.py refuses an operation missing from the role table.
staff_auth = [StaffBearer(), StaffSession()]
