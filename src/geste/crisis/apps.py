from django.apps import AppConfig


class CrisisConfig(AppConfig):
    name = "geste.crisis"
    label = "crisis"
