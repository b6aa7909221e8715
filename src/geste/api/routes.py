"""The JSON API (django-ninja), mounted at /api/v1/. Each app adds its router here."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI, Schema

from geste.api.auth import staff_auth

api = NinjaAPI(
    title="geste API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    auth=staff_auth,
    description="Rules engine (safety check, crisis triage), booking. Bearer token: "
    "`geste api-token USERNAME`.",
)


class WhoAmI(Schema):
    username: str
    role: str


@api.get("/whoami", response=WhoAmI, tags=["account"])
def whoami(request: HttpRequest) -> WhoAmI:
    user = request.user
    return WhoAmI(username=user.get_username(), role=getattr(user, "role", ""))


def _register_routers() -> None:
    # Routers of other rooms are added as they exist; import errors here are real errors.
    from importlib import import_module

    for module, prefix in (
        ("geste.api.rules_api", "/"),
        ("geste.api.booking", "/"),
        ("geste.crisis.api", "/crisis/"),
    ):
        try:
            mod = import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        api.add_router(prefix, mod.router)


_register_routers()
