from django.apps import AppConfig


class PathwayConfig(AppConfig):
    name = "geste.pathway"
    label = "pathway"
