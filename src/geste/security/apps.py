from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "geste.security"
    label = "security"

    def ready(self) -> None:
        # deploy checks, lockout audit, session set-up at login
        from geste.security import checks, lockout, signals  # noqa: F401
