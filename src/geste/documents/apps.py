from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "geste.documents"
    label = "documents"
