from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "geste.security"
    label = "security"

    def ready(self) -> None:
        from geste.security import checks  # noqa: F401  (registers the deploy checks)
