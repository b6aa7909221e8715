"""The registry of audit actions: every action `log_action()` accepts, with its label.

An action is a namespaced string (`request.validated`). `log_action()` refuses any action not
listed here, so a typo cannot slip an event past the audit page's filters; the test
`tests/audit/test_actions.py` reads the source for every literal action and checks it is here.

The field itself carries no `choices`: adding an action must not need a migration.
`request.<state>` exists for every request state (pathway.md) because `request_transition()`
records a move without a named action as `request.<new state>`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # accounts and security
    AUTH_LOGIN = "auth.login", _("Connexion")
    AUTH_LOGOUT = "auth.logout", _("Déconnexion")
    AUTH_LOGIN_FAILED = "auth.login_failed", _("Échec de connexion")
    AUTH_SESSION_EXPIRED = "auth.session_expired", _("Session expirée (inactivité)")
    AUTH_LOCKED_OUT = "auth.locked_out", _("Connexion bloquée (trop d'échecs)")
    AUTH_SECOND_FACTOR_PASSED = "auth.second_factor_passed", _("Code de connexion accepté")
    AUTH_SECOND_FACTOR_FAILED = "auth.second_factor_failed", _("Code de connexion refusé")
    AUTH_TWO_FACTOR_ENABLED = "auth.two_factor_enabled", _("Double authentification activée")
    AUTH_TWO_FACTOR_DISABLED = "auth.two_factor_disabled", _("Double authentification retirée")
    AUTH_RECOVERY_CODES = "auth.recovery_codes_generated", _("Codes de secours générés")
    API_TOKEN_ISSUED = "api_token.issued", _("Jeton d'API délivré")
    SETTINGS_UPDATED = "settings.updated", _("Paramètres modifiés")
    # patients
    PATIENT_READ = "patient.read", _("Dossier patient consulté")
    WORKLIST_READ = "worklist.read", _("Liste de patients du jour consultée")
    PATIENT_SIGNED_UP = "patient.signed_up", _("Compte patient créé")
    PATIENT_SIGNUP_KNOWN_ADDRESS = (
        "patient.signup_known_address",
        _("Inscription tentée avec une adresse déjà connue (message envoyé)"),
    )
    DECLARATION_FORM_OPENED = "declaration.form_opened", _("Questionnaire ouvert")
    DECLARATION_SUBMITTED = "declaration.submitted", _("Questionnaire envoyé")
    INSTRUCTIONS_READ = "instructions.read", _("Consignes de préparation consultées")
    INSTRUCTIONS_CHANGED = "instructions.changed", _("Consignes de préparation changées")
    LAB_RESULT_RECORDED = "lab_result.recorded", _("Résultat biologique enregistré")
    RESULTS_READ = "results.read", _("Résultats consultés")
    # requests (named moves)
    REQUEST_CREATED = "request.created", _("Demande créée")
    REQUEST_READ = "request.read", _("Demande consultée")
    REQUEST_REFUSED = "request.refused", _("Indication non retenue")
    REQUEST_POSTPONED = "request.postponed", _("Demande reportée")
    REQUEST_PREGNANCY_CHECKED = "request.pregnancy_checked", _("Grossesse vérifiée")
    CABIN_ASSIGNED = "cabin.assigned", _("Cabine attribuée")
    CABIN_RELEASED = "cabin.released", _("Cabine libérée")
    # requests: one per state (request_transition without a named action)
    REQUEST_REQUESTED = "request.requested", _("Demande : demandé")
    REQUEST_CONSULTATION_BOOKED = (
        "request.consultation_booked",
        _("Demande : consultation programmée"),
    )
    REQUEST_CONSULTATION_DONE = "request.consultation_done", _("Demande : consultation faite")
    REQUEST_INDICATION_REFUSED = (
        "request.indication_refused",
        _("Demande : indication non retenue"),
    )
    REQUEST_VALIDATED = "request.validated", _("Indication validée")
    REQUEST_PROCEDURE_BOOKED = "request.procedure_booked", _("Demande : geste programmé")
    REQUEST_CHECKED_IN = "request.checked_in", _("Arrivée du patient enregistrée")
    REQUEST_READY = "request.ready", _("Vérification faite")
    REQUEST_PERFORMED = "request.performed", _("Demande : geste réalisé")
    REQUEST_REPORTED = "request.reported", _("Demande : compte rendu signé")
    REQUEST_FOLLOWED_UP = "request.followed_up", _("Suivi fait")
    REQUEST_DEFERRED = "request.deferred", _("Demande : reportée (crise)")
    REQUEST_IN_DISCUSSION = "request.in_discussion", _("Demande : en discussion (crise)")
    REQUEST_CANCELLED = "request.cancelled", _("Demande annulée")
    # consultation, day of the procedure, after
    CONSULTATION_RECORDED = "consultation.recorded", _("Consultation enregistrée")
    CONSULTATION_UPDATED = "consultation.updated", _("Consultation modifiée")
    PRESCRIPTION_WRITTEN = "prescription.written", _("Ordonnance rédigée")
    PRESCRIPTION_ITEM_ADDED = "prescription.item_added", _("Ordonnance : produit ajouté")
    PRESCRIPTION_ITEM_REMOVED = "prescription.item_removed", _("Ordonnance : produit retiré")
    PRESCRIPTION_ALLERGY_OVERRIDDEN = (
        "prescription.allergy_overridden",
        _("Ordonnance : produit iodé maintenu malgré l'allergie (motif écrit)"),
    )
    PRESCRIPTION_SIGNED = "prescription.signed", _("Ordonnance signée")
    TIMEOUT_CHECKLIST_CONFIRMED = "timeout.checklist_confirmed", _("Check-list confirmée")
    TIMEOUT_CHECKLIST_MISMATCH = (
        "timeout.checklist_mismatch",
        _("Check-list : discordance, geste arrêté"),
    )
    TIMEOUT_VIEWED = "timeout.viewed", _("Check-list de sécurité consultée")
    TIMEOUT_PASSED = "timeout.passed", _("Check-list de sécurité validée")
    TIMEOUT_BLOCKED = "timeout.blocked", _("Check-list de sécurité bloquante")
    PROCEDURE_RECORDED = "procedure.recorded", _("Geste enregistré")
    REPORT_SIGNED = "report.signed", _("Compte rendu signé")
    REPORT_ADDENDUM_SIGNED = "report.addendum_signed", _("Addendum au compte rendu signé")
    REPORT_LINK_CREATED = "report.link_created", _("Lien de compte rendu créé")
    REPORT_READ_BY_LINK = "report.read_by_link", _("Compte rendu lu par lien")
    REPORT_LINK_REVOKED = "report.link_revoked", _("Lien de compte rendu révoqué")
    REPORT_LINK_REFUSED = "report.link_refused", _("Lien de compte rendu refusé (révoqué, épuisé)")
    FOLLOWUP_REMINDED = "followup.reminded", _("Relance de suivi envoyée")
    FOLLOWUP_ANSWERED = "followup.answered", _("Suivi renseigné")
    FOLLOWUP_ALERT_CLEARED = "followup.alert_cleared", _("Alerte de suivi levée")
    FOLLOWUP_ALERT_PAGED = (
        "followup.alert_paged",
        _("Alerte de suivi envoyée au radiologue de garde"),
    )
    FOLLOWUP_ALERT_ACKNOWLEDGED = (
        "followup.alert_acknowledged",
        _("Alerte de suivi prise en charge"),
    )
    FOLLOWUP_MONTH_REMINDED = "followup.month_reminded", _("Questionnaire à un mois envoyé")
    FOLLOWUP_MONTH_ANSWERED = "followup.month_answered", _("Douleur à un mois renseignée")
    OUTCOMES_READ = "outcomes.read", _("Résultats cliniques consultés")
    OUTCOMES_EXPORTED = "outcomes.exported", _("Résultats cliniques exportés (CSV)")
    DOCUMENT_ATTACHED = "document.attached", _("Document joint")
    DOCUMENT_DOWNLOADED = "document.downloaded", _("Document téléchargé")
    # appointments and waiting list
    APPOINTMENT_BOOKED = "appointment.booked", _("Rendez-vous pris")
    APPOINTMENT_OVERRIDDEN = "appointment.overridden", _("Rendez-vous pris en dérogation")
    APPOINTMENT_MOVED = "appointment.moved", _("Rendez-vous déplacé")
    APPOINTMENT_CANCELLED = "appointment.cancelled", _("Rendez-vous annulé")
    APPOINTMENT_NO_SHOW = "appointment.no_show", _("Patient absent")
    WAITLIST_JOINED = "waitlist.joined", _("Inscription en liste d'attente")
    WAITLIST_LEFT = "waitlist.left", _("Sortie de la liste d'attente")
    WAITLIST_REORDERED = "waitlist.reordered", _("Liste d'attente réordonnée")
    WAITLIST_OFFERED = "waitlist.offered", _("Créneau proposé (liste d'attente)")
    WAITLIST_ACCEPTED = "waitlist.accepted", _("Créneau accepté (liste d'attente)")
    WAITLIST_DECLINED = "waitlist.declined", _("Créneau refusé (liste d'attente)")
    # crisis
    CRISIS_STARTED = "crisis.started", _("Crise déclarée")
    CRISIS_ENDED = "crisis.ended", _("Fin de crise")
    CRISIS_RUN_STARTED = "crisis.run_started", _("Simulation de crise lancée")
    CRISIS_RUN_READ = "crisis.run_read", _("Simulation de crise consultée")
    CRISIS_RUN_RESTARTED = "crisis.run_restarted", _("Simulation relancée après interruption")
    CRISIS_DECISION_CONFIRMED = "crisis.decision_confirmed", _("Décision de crise confirmée")
    CRISIS_DECISION_OVERRIDDEN = "crisis.decision_overridden", _("Décision de crise modifiée")
    CRISIS_MAINTAINED = "crisis.maintained", _("Demande maintenue (crise)")
    CRISIS_DEFERRED = "crisis.deferred", _("Demande reportée (crise)")
    CRISIS_IN_DISCUSSION = "crisis.in_discussion", _("Demande mise en discussion (crise)")
    CRISIS_DISCUSSION_OPENED = "crisis.discussion_opened", _("Discussion ouverte (crise)")
    CRISIS_DISCUSSION_ANSWERED = "crisis.discussion_answered", _("Discussion répondue (crise)")
    CRISIS_PLAN_PROPOSED = "crisis.plan_proposed", _("Plan de reprise proposé")
    CRISIS_PLAN_READ = "crisis.plan_read", _("Plan de reprise consulté")
    CRISIS_PLAN_ACCEPTED = "crisis.plan_accepted", _("Plan de reprise accepté")
    CRISIS_PLAN_ITEM_MOVED = "crisis.plan_item_moved", _("Ligne du plan de reprise déplacée")
    CRISIS_PLAN_ITEM_REMOVED = "crisis.plan_item_removed", _("Ligne du plan de reprise retirée")
    CRISIS_INPUTS_SET = "crisis.inputs_set", _("Données de tri saisies (crise)")
    CRISIS_DISCUSSION_CLOSED = "crisis.discussion_closed", _("Discussion close (fin de crise)")
    CRISIS_LATE_ANSWER = "crisis.late_answer", _("Réponse après la fin de crise (information)")
    CRISIS_JOB_STARTED = "crisis.job_started", _("Traitement de crise lancé")
    CRISIS_JOB_DONE = "crisis.job_done", _("Traitement de crise terminé")
    CRISIS_BOOKED_OUTSIDE_POLICY = (
        "crisis.booked_outside_policy",
        _("Geste programmé ou déplacé par le personnel hors politique de crise"),
    )
    # machine interfaces
    DICOM_MPPS_IN_PROGRESS = "dicom.mpps_in_progress", _("Examen commencé (modalité)")
    DICOM_MPPS_COMPLETED = "dicom.mpps_completed", _("Examen terminé (modalité)")
    DICOM_MPPS_DISCONTINUED = "dicom.mpps_discontinued", _("Examen interrompu (modalité)")
    DICOM_MPPS_UPDATED = "dicom.mpps_updated", _("Examen mis à jour (modalité)")
    DICOM_DOSE_RECEIVED = "dicom.dose_received", _("Rapport de dose reçu")
    DICOM_DOSE_MATCHED = "dicom.dose_matched", _("Rapport de dose rattaché")
    DICOM_DOSE_ALERT_RAISED = "dicom.dose_alert_raised", _("Alerte de dose déclenchée")
    DICOM_DOSE_ALERT_ACKNOWLEDGED = "dicom.dose_alert_acknowledged", _("Alerte de dose vue")
    DICOM_RECORD_DOSE_FILLED = "dicom.record_dose_filled", _("Dose reportée dans la fiche du geste")
    DICOM_DOSE_UNMATCHED_READ = (
        "dicom.dose_unmatched_read",
        _("Rapports de dose non rattachés consultés"),
    )
    RULES_CHECK = "rules.check", _("Vérification de sécurité (API)")
    RULES_TRIAGE = "rules.triage", _("Tri de crise (API)")
    FHIR_READ = "fhir.read", _("Ressource FHIR lue")
    FHIR_SEARCH = "fhir.search", _("Recherche FHIR")
    FHIR_FIND = "fhir.find", _("Créneaux proposés (FHIR $find)")
    FHIR_HELD = "fhir.held", _("Créneau retenu (FHIR $hold)")
    FHIR_BOOKED = "fhir.booked", _("Rendez-vous pris (FHIR $book)")
    FHIR_PATIENT_CREATED = "fhir.patient_created", _("Patient créé (FHIR)")
    FHIR_PATIENT_UPDATED = "fhir.patient_updated", _("Patient modifié (FHIR)")


def action_label(action: str) -> str:
    """The human label of an action; the raw string for an event recorded before a rename."""
    try:
        return str(AuditAction(action).label)
    except ValueError:
        return action
