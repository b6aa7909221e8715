"""The JSON API (django-ninja), mounted at /api/v1/. Each app adds its router here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema

from geste.api import booking, rules_api
from geste.api.auth import api_auth, staff_auth
from geste.api.errors import ERRORS
from geste.scheduling.errors import ResourceBusy

api = NinjaAPI(
    title="geste API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    auth=staff_auth,
    description="Rules engine (safety check, crisis triage), booking. Bearer token: "
    "`geste api-token USERNAME`.",
)


@api.exception_handler(ResourceBusy)
def resource_busy(request: HttpRequest, exc: ResourceBusy) -> HttpResponse:
    """A booking lock not obtained in time: nothing was written; say when to try again."""
    response = api.create_response(request, {"detail": str(exc)}, status=409)
    # declared: ErrorOut under 409 on the booking operations
    response["Retry-After"] = str(exc.retry_after_seconds)
    return response


class WhoAmI(Schema):
    username: str
    role: str


@api.get(
    "/whoami",
    response={200: WhoAmI, **ERRORS},
    auth=api_auth("GET /api/v1/whoami"),
    tags=["account"],
)
def whoami(request: HttpRequest) -> WhoAmI:
    user = request.user
    return WhoAmI(username=user.get_username(), role=getattr(user, "role", ""))


api.add_router("/", rules_api.router)
api.add_router("/", booking.router)
