"""Mounted at /fhir/R4/ by geste.urls."""

from __future__ import annotations

from django.urls import path, re_path

from geste.api.fhir import views

app_name = "fhir"
urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    re_path(
        r"^Appointment/\$(?P<operation>find|hold|book)$",
        views.appointment_operation,
        name="appointment-operation",
    ),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]+)/?$", views.type_endpoint, name="type"),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]+)/(?P<rid>[A-Za-z0-9\-.]{1,64})$",
        views.instance_endpoint,
        name="instance",
    ),
]
