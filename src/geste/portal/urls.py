"""Every patient and public page (namespace `portal`), mounted at the site root: the patient's
space under mon-espace/, online booking under prendre-rendez-vous/, and the expiring links
(lien/ for a referring physician's report, crise/avis/ for a clinician's crisis answer)."""

from django.urls import path

from geste.portal.views import (
    appointments,
    booking,
    home,
    links,
    preparation,
    procedure,
    records,
)

app_name = "portal"
M = "mon-espace/"
A = M + "rendez-vous/<int:appointment_id>/"
urlpatterns = [
    path(M, home.home, name="home"),
    path(M + "rendez-vous/", appointments.my_appointments, name="my_appointments"),
    path(A + "deplacer/", appointments.my_move, name="my_move"),
    path(A + "annuler/", appointments.my_cancel, name="my_cancel"),
    path(A + "rendez-vous.ics", appointments.my_ics, name="my_ics"),
    path(A + "liste-d-attente/", appointments.my_waitlist_join, name="my_waitlist_join"),
    path(
        M + "liste-d-attente/<int:entry_id>/retirer/",
        appointments.my_waitlist_leave,
        name="my_waitlist_leave",
    ),
    path(M + "rendez-vous/proposition/<int:offer_id>/", appointments.my_offer, name="my_offer"),
    path(M + "geste/<int:pk>/programmer/", procedure.my_procedure, name="my_procedure"),
    path(M + "questionnaire/", records.questionnaire, name="questionnaire"),
    path(M + "preparer/", preparation.prepare, name="prepare"),
    path(M + "preparer/<int:pk>/convocation.pdf", preparation.convocation, name="convocation"),
    path(M + "resultats/", records.my_results, name="my_results"),
    path(M + "resultats/<int:pk>/<str:kind>/", records.my_pdf, name="my_pdf"),
    path(M + "resultats/<int:pk>/<str:kind>/<int:item>/", records.my_pdf, name="my_pdf_item"),
    path(M + "images/<int:pk>/", records.my_image, name="my_image"),
    path(M + "suivi/<int:pk>/", records.followup, name="followup"),
    path(M + "suivi/<int:pk>/un-mois/", records.followup_month, name="followup_month"),
    path("prendre-rendez-vous/", booking.book_start, name="book"),
    path("prendre-rendez-vous/<slug:code>/", booking.book_slot, name="book_slot"),
    path("lien/<str:token>/", links.shared_report, name="shared_report"),
    path("crise/avis/<str:token>/", links.answer, name="crisis_answer"),
]
