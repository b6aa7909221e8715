"""Every back-office page under /equipe/ (namespace `staff`). Crisis pages: crisis_urls.py."""

from django.urls import path

from geste.staff.views import (
    agenda,
    audit,
    booking,
    centre,
    dashboard,
    day,
    documents,
    dose,
    home,
    messages,
    outcomes,
    patients,
    planner,
    procedure,
    requests,
    waitlist,
)

app_name = "staff"
R = "demandes/<int:pk>/"
A = "planning/rdv/<int:appointment_id>/"
urlpatterns = [
    path("", home.home, name="home"),
    # patients and centre administration
    path("patients/", patients.patient_list, name="patients"),
    path("patients/<int:patient_id>/", patients.patient_detail, name="patient"),
    path("parametres/", centre.centre_settings, name="settings"),
    path("audit/", audit.audit_log, name="audit"),
    path("messages/", messages.sent_messages, name="messages"),
    # one request, from intake to report
    path("demandes/nouvelle/", requests.intake, name="intake"),
    path(R, requests.request_detail, name="request_detail"),
    path(R + "consultation/", requests.consultation_save, name="consultation"),
    path(R + "decision/", requests.decide, name="decide"),
    path(R + "questionnaire/", requests.staff_questionnaire, name="staff_questionnaire"),
    path(R + "biologie/", requests.lab_entry, name="lab_entry"),
    path(R + "<str:what>/motif/", requests.postpone_or_cancel, name="postpone_or_cancel"),
    path(R + "lien/", requests.link_create, name="link_create"),
    path(R + "lien/<int:link_id>/revoquer/", requests.link_revoke, name="link_revoke"),
    path(R + "images/", requests.image_upload, name="image_upload"),
    path(R + "pdf/<str:kind>/", requests.staff_pdf, name="staff_pdf"),
    path(R + "pdf/<str:kind>/<int:item>/", requests.staff_pdf, name="staff_pdf_item"),
    path(R + "time-out/", procedure.timeout, name="timeout"),
    path(R + "geste/", procedure.record, name="record"),
    path(R + "compte-rendu/", procedure.report, name="report"),
    path(R + "ordonnances/<int:item>/", procedure.prescription, name="prescription"),
    path(R + "arrivee/", day.check_in, name="check_in"),
    path(R + "grossesse/", day.pregnancy_check, name="pregnancy_check"),
    path(R + "cabine/", day.cabin_assign_view, name="cabin_assign"),
    path(R + "cabine/liberer/", day.cabin_release_view, name="cabin_release"),
    path(R + "programmer/", booking.procedure_book, name="procedure_book"),
    path(R + "courrier/", documents.referral_letter, name="referral_letter"),
    path("bilans/<int:pk>/document/", documents.lab_document, name="lab_document"),
    # the day
    path("arrivees/", day.reception, name="reception"),
    path("liste-de-travail/", day.tech_worklist, name="tech_worklist"),
    path("tableau-de-bord/", dashboard.dashboard, name="dashboard"),
    path("suivi/<int:pk>/alerte/", dashboard.alert_clear, name="alert_clear"),
    path("suivi/<int:pk>/alerte/vue/", dashboard.alert_ack, name="alert_ack"),
    path("resultats-cliniques/", outcomes.outcomes, name="outcomes"),
    path("resultats-cliniques/export.csv", outcomes.outcomes_csv, name="outcomes_csv"),
    # planning and booking
    path("planning/", planner.planner, name="planner"),
    path("planning/nouveau/", booking.staff_book, name="staff_book"),
    path("liste-d-attente/", waitlist.waitlist, name="waitlist"),
    path(A + "deplacer/", planner.staff_move, name="staff_move"),
    path(A + "annuler/", planner.staff_cancel, name="staff_cancel"),
    path(A + "absent/", planner.staff_no_show, name="staff_no_show"),
    path("agenda/", agenda.agenda, name="agenda"),
    # the equipment's dose
    path("dose/", dose.dose_levels, name="dose"),
    path("dose/non-rattaches/", dose.dose_unmatched, name="dose_unmatched"),
    path("dose/alertes/<int:pk>/vue/", dose.dose_alert_ack, name="dose_alert_ack"),
]
