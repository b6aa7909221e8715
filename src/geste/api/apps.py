from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "geste.api"
    label = "api"
