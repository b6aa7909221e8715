"""The FHIR endpoints: metadata, read, search, the writes, and the scheduling operations.

Every request but `metadata` needs a staff bearer token and the role table's permission; every
read and search leaves an audit event (`fhir.read`, `fhir.search`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from geste.api.fhir import computed, operations, writes
from geste.api.fhir.capability import capability_statement
from geste.api.fhir.http import FhirError, authenticate, fhir_view, read_json, require, respond
from geste.api.fhir.kinds import KINDS, filtered, get
from geste.api.fhir.mappers import patient as patient_map
from geste.api.fhir.mappers import questionnaire, requests
from geste.api.fhir.mappers.scheduling import appointment as appointment_map
from geste.api.fhir.search import bundle, paging, reference_id
from geste.audit.services import log_action
from geste.patients.models import Patient

COMPUTED = ("Slot", "Observation", "Questionnaire", "Binary")


def _known(resource_type: str) -> None:
    if resource_type not in KINDS and resource_type not in COMPUTED:
        raise FhirError(404, "unknown_type", issue="not-supported", resource=resource_type)


@fhir_view
def metadata(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        raise FhirError(405, "method", issue="not-supported")
    from importlib.metadata import version

    base = request.build_absolute_uri("/fhir/R4/")
    return respond(capability_statement(base, version("geste")))


@csrf_exempt
@fhir_view
def type_endpoint(request: HttpRequest, resource_type: str) -> HttpResponse:
    _known(resource_type)
    user = authenticate(request)
    if request.method == "POST":
        require(user, resource_type, "create")
        return _create(request, resource_type, user)
    if request.method != "GET":
        raise FhirError(405, "method", issue="not-supported")
    require(user, resource_type, "search")
    return _search(request, resource_type, user)


@csrf_exempt
@fhir_view
def instance_endpoint(request: HttpRequest, resource_type: str, rid: str) -> HttpResponse:
    _known(resource_type)
    user = authenticate(request)
    if request.method == "PUT" and resource_type == "Patient":
        require(user, "Patient", "update")
        patient, _ = writes.patient_save(
            request, read_json(request), user=user, pk=reference_id(rid, "Patient", "id")
        )
        return respond(patient_map.to_fhir(patient))
    if request.method != "GET":
        raise FhirError(405, "method", issue="not-supported")
    require(user, resource_type, "read")
    resource, obj, patient = _read(request, resource_type, rid, user)
    log_action(
        actor=user,
        action="fhir.read",
        obj=obj,
        patient=patient,
        request=request,
        details={"type": resource_type, "id": rid},
    )
    if isinstance(resource, HttpResponse):
        return resource
    return respond(resource)


@csrf_exempt
@fhir_view
def appointment_operation(request: HttpRequest, operation: str) -> HttpResponse:
    user = authenticate(request)
    require(user, "Appointment", f"${operation}")
    if operation == "find":
        if request.method == "POST":
            params = operations.parameters_from_body(read_json(request))
            query = request.GET.copy()
            for k, v in params.items():
                if isinstance(v, str):
                    query[k] = v
        elif request.method == "GET":
            query = request.GET
        else:
            raise FhirError(405, "method", issue="not-supported")
        count, _ = paging(query)
        found = operations.find(request, query, user=user, limit=count)
        return respond(
            bundle(request, found, count=count, offset=0, total=len(found), has_more=False)
        )
    if request.method != "POST":
        raise FhirError(405, "method", issue="not-supported")
    if operation == "hold":
        return respond(operations.hold(request, read_json(request), user=user), 200)
    status, appointment, ident = operations.book(request, read_json(request), user=user)
    location = request.build_absolute_uri(f"/fhir/R4/Appointment/{appointment.pk}")
    return respond(appointment_map(appointment, ident), status, Location=location)


def _read(request: HttpRequest, resource_type: str, rid: str, user: Any) -> tuple[Any, Any, Any]:
    """(resource or response, audited object or None, patient or None)."""
    if resource_type == "Slot":
        return computed.slot_read(rid, user), None, None
    if resource_type == "Observation":
        return computed.observation_read(rid)
    if resource_type == "Questionnaire":
        return computed.questionnaire_read(rid), None, None
    if resource_type == "Binary":
        report = computed.binary_report(rid)
        out = computed.binary_response(request, report)
        return (respond(out) if isinstance(out, dict) else out), report, report.request.patient
    kind = KINDS[resource_type]
    obj = get(kind, resource_type, rid)
    return kind.to_fhir(obj), obj, kind.patient_of(obj)


def _search(request: HttpRequest, resource_type: str, user: Any) -> HttpResponse:
    count, offset = paging(request.GET)
    total: int | None
    if resource_type == "Slot":
        found = computed.slot_search(request.GET, limit=offset + count + 1, user=user)
        page, total = found[offset : offset + count], None
        has_more = len(found) > offset + count
    elif resource_type in ("Observation", "Questionnaire"):
        if resource_type == "Observation":
            everything = computed.observation_search(request.GET)
        else:
            everything = [questionnaire.questionnaire()]
        total, page = len(everything), everything[offset : offset + count]
        has_more = offset + count < total
    elif resource_type == "Binary":
        raise FhirError(405, "method", issue="not-supported")
    else:
        kind = KINDS[resource_type]
        qs = filtered(kind, resource_type, request.GET)
        total = qs.count()
        page = [kind.to_fhir(obj) for obj in qs[offset : offset + count]]
        has_more = offset + count < total
    patient = None
    who = request.GET.get("patient") or request.GET.get("subject")
    if who and who.replace("Patient/", "").isdigit():
        patient = Patient.objects.filter(pk=int(who.replace("Patient/", ""))).first()
    log_action(
        actor=user,
        action="fhir.search",
        patient=patient,
        request=request,
        details={
            "type": resource_type,
            "params": sorted(request.GET.keys()),
            "ids": [r.get("id") for r in page][:200],
        },
    )
    body = bundle(request, page, count=count, offset=offset, total=total, has_more=has_more)
    return respond(body)


def _create(request: HttpRequest, resource_type: str, user: Any) -> HttpResponse:
    body = read_json(request)
    base = request.build_absolute_uri("/fhir/R4/")
    if resource_type == "Patient":
        patient, _ = writes.patient_save(request, body, user=user)
        resource = patient_map.to_fhir(patient)
    elif resource_type == "ServiceRequest":
        resource = requests.service_request(writes.service_request_create(request, body, user=user))
    elif resource_type == "QuestionnaireResponse":
        decl = writes.questionnaire_response_create(request, body, user=user)
        resource = questionnaire.response(decl)
    else:
        raise FhirError(405, "method", issue="not-supported")
    return respond(resource, 201, Location=f"{base}{resource_type}/{resource['id']}")
