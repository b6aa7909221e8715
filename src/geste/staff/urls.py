from django.urls import path

from geste.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_list, name="patients"),
    path("patients/<int:patient_id>/", views.patient_detail, name="patient"),
    path("parametres/", views.centre_settings, name="settings"),
    path("audit/", views.audit_log, name="audit"),
]
