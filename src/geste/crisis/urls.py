from django.urls import path

from geste.crisis import views

app_name = "crisis"
urlpatterns = [
    path("", views.home, name="home"),
]
