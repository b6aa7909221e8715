from django.urls import path  # noqa: F401

app_name = "pathway"
urlpatterns: list = []  # type: ignore[type-arg]
