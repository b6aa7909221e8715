from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "geste.audit"
    label = "audit"

    def ready(self) -> None:
        from geste.audit import signals  # noqa: F401  (connects login/logout receivers)
