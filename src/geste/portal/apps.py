from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "geste.portal"
    label = "portal"
