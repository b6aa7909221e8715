from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "geste.scheduling"
    label = "scheduling"
