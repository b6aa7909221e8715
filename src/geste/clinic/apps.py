from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "geste.clinic"
    label = "clinic"
