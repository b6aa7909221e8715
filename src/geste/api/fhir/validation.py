"""Every resource we emit goes through fhir.resources' R4B models before it leaves.

The models check structure, types, cardinality and required elements; a mapping bug is then a
500 with an OperationOutcome naming the element, never an invalid resource sent to a partner.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError


class InvalidResource(ValueError):
    """A resource does not validate against the R4B model of its type."""


def model_errors(resource: dict[str, Any]) -> list[str]:
    """The R4B model's complaints about a resource (empty when valid)."""
    try:
        model = get_fhir_model_class(resource["resourceType"])
    except (KeyError, ValueError) as exc:
        return [f"resourceType: {exc}"]
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        return [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
    return []


def checked(resource: dict[str, Any]) -> dict[str, Any]:
    errors = model_errors(resource)
    if errors:
        raise InvalidResource(f"{resource.get('resourceType')}: {'; '.join(errors[:5])}")
    return resource


def parse(resource_type: str, body: Any) -> Any:
    """An incoming resource as its R4B model; InvalidResource names the first bad elements."""
    if not isinstance(body, dict) or body.get("resourceType") != resource_type:
        raise InvalidResource(f"resourceType must be {resource_type}")
    try:
        return get_fhir_model_class(resource_type).model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[:3]
        raise InvalidResource(
            "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in first)
        ) from exc
