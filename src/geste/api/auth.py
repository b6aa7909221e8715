"""API authentication: a bearer token from `geste api-token`, or a staff session with CSRF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from geste.api.models import ApiToken, hash_token
from geste.clinic.models import STAFF_ROLES


class StaffBearer(HttpBearer):
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
        return user


class StaffSession(APIKeyCookie):
    """Django session cookie of a logged-in staff member (CSRF checked by ninja)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.role in STAFF_ROLES:
            return user
        return None


staff_auth = [StaffBearer(), StaffSession()]
