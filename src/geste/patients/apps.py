from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "geste.patients"
    label = "patients"
