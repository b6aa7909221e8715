"""Mounted at the site root: staff pages under equipe/, patient pages under mon-espace/,
secure links for referring physicians under lien/."""

from django.urls import path

from geste.pathway import (
    views_booking,
    views_dash,
    views_documents,
    views_patient,
    views_staff,
)

app_name = "pathway"
R = "equipe/demandes/<int:pk>/"
urlpatterns = [
    path("equipe/demandes/nouvelle/", views_staff.intake, name="intake"),
    path(R, views_staff.request_detail, name="request_detail"),
    path(R + "consultation/", views_staff.consultation_save, name="consultation"),
    path(R + "decision/", views_staff.decide, name="decide"),
    path(R + "questionnaire/", views_staff.staff_questionnaire, name="staff_questionnaire"),
    path(R + "biologie/", views_staff.lab_entry, name="lab_entry"),
    path(R + "time-out/", views_staff.timeout, name="timeout"),
    path(R + "<str:what>/motif/", views_staff.postpone_or_cancel, name="postpone_or_cancel"),
    path(R + "geste/", views_staff.record, name="record"),
    path(R + "compte-rendu/", views_staff.report, name="report"),
    path(R + "lien/", views_staff.link_create, name="link_create"),
    path(R + "images/", views_staff.image_upload, name="image_upload"),
    path(R + "pdf/<str:kind>/", views_staff.staff_pdf, name="staff_pdf"),
    path(R + "pdf/<str:kind>/<int:item>/", views_staff.staff_pdf, name="staff_pdf_item"),
    path(R + "arrivee/", views_staff.check_in, name="check_in"),
    path(R + "programmer/", views_booking.procedure_book, name="procedure_book"),
    path(R + "courrier/", views_documents.referral_letter, name="referral_letter"),
    path("equipe/bilans/<int:pk>/document/", views_documents.lab_document, name="lab_document"),
    path(R + "grossesse/", views_staff.pregnancy_check, name="pregnancy_check"),
    path("equipe/arrivees/", views_staff.reception, name="reception"),
    path("equipe/liste-de-travail/", views_staff.tech_worklist, name="tech_worklist"),
    path("equipe/tableau-de-bord/", views_dash.dashboard, name="dashboard"),
    path("equipe/suivi/<int:pk>/alerte/", views_dash.alert_clear, name="alert_clear"),
    path("equipe/resultats-cliniques/", views_dash.outcomes, name="outcomes"),
    path("mon-espace/questionnaire/", views_patient.questionnaire, name="questionnaire"),
    path("mon-espace/resultats/", views_patient.my_results, name="my_results"),
    path("mon-espace/resultats/<int:pk>/<str:kind>/", views_patient.my_pdf, name="my_pdf"),
    path(
        "mon-espace/resultats/<int:pk>/<str:kind>/<int:item>/",
        views_patient.my_pdf,
        name="my_pdf_item",
    ),
    path("mon-espace/images/<int:pk>/", views_patient.my_image, name="my_image"),
    path("mon-espace/suivi/<int:pk>/", views_patient.followup, name="followup"),
    path("lien/<str:token>/", views_patient.shared_report, name="shared_report"),
]
