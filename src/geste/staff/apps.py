from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "geste.staff"
    label = "staff"
