from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "geste.security"
    label = "security"

    def ready(self) -> None:
        from geste.security import checks, lockout  # noqa: F401  (deploy checks, lockout audit)
