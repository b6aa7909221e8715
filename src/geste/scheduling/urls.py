"""Scheduling pages, mounted at the site root: full paths here."""

from django.urls import path

from geste.scheduling import views_booking, views_patient, views_reception, views_staff

app_name = "scheduling"
urlpatterns = [
    path("prendre-rendez-vous/", views_booking.book_start, name="book"),
    path("prendre-rendez-vous/<slug:code>/", views_booking.book_slot, name="book_slot"),
    path("mon-espace/rendez-vous/", views_patient.my_appointments, name="my_appointments"),
    path(
        "mon-espace/rendez-vous/<int:appointment_id>/deplacer/",
        views_patient.my_move,
        name="my_move",
    ),
    path(
        "mon-espace/rendez-vous/<int:appointment_id>/annuler/",
        views_patient.my_cancel,
        name="my_cancel",
    ),
    path(
        "mon-espace/rendez-vous/<int:appointment_id>/rendez-vous.ics",
        views_patient.my_ics,
        name="my_ics",
    ),
    path(
        "mon-espace/rendez-vous/<int:appointment_id>/liste-d-attente/",
        views_patient.my_waitlist_join,
        name="my_waitlist_join",
    ),
    path(
        "mon-espace/rendez-vous/proposition/<int:offer_id>/",
        views_patient.my_offer,
        name="my_offer",
    ),
    path("equipe/planning/", views_staff.planner, name="planner"),
    path("equipe/planning/nouveau/", views_reception.staff_book, name="staff_book"),
    path("equipe/liste-d-attente/", views_reception.waitlist, name="waitlist"),
    path(
        "equipe/planning/rdv/<int:appointment_id>/deplacer/",
        views_staff.staff_move,
        name="staff_move",
    ),
    path(
        "equipe/planning/rdv/<int:appointment_id>/annuler/",
        views_staff.staff_cancel,
        name="staff_cancel",
    ),
    path(
        "equipe/planning/rdv/<int:appointment_id>/absent/",
        views_staff.staff_no_show,
        name="staff_no_show",
    ),
    path("equipe/agenda/", views_staff.agenda, name="agenda"),
]
