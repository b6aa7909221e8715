"""OperationOutcome texts in French and English, chosen by the request's Accept-Language.

Kept as explicit pairs rather than in the site's gettext catalogue: a FHIR client negotiates
the language per request, and both languages must exist for every code the API can return.
"""

from __future__ import annotations

from django.http import HttpRequest

MESSAGES: dict[str, tuple[str, str]] = {
    "unauthenticated": (
        "Jeton d'accès absent ou invalide.",
        "Missing or invalid access token.",
    ),
    "forbidden": (
        "Votre rôle ne permet pas cette action sur {resource}.",
        "Your role does not allow this action on {resource}.",
    ),
    "not_found": ("{resource}/{id} introuvable.", "{resource}/{id} not found."),
    "unknown_type": (
        "Type de ressource non pris en charge : {resource}.",
        "Unsupported resource type: {resource}.",
    ),
    "bad_param": ("Paramètre invalide : {param}.", "Invalid parameter: {param}."),
    "missing_param": ("Paramètre requis : {param}.", "Required parameter: {param}."),
    "invalid_resource": (
        "Ressource invalide : {detail}.",
        "Invalid resource: {detail}.",
    ),
    "invalid_ins": (
        "Matricule INS invalide (15 caractères dont la clé de contrôle).",
        "Invalid INS number (15 characters including the check key).",
    ),
    "duplicate_ins": (
        "Un autre dossier patient porte déjà ce matricule INS.",
        "Another patient record already carries this INS number.",
    ),
    "slot_taken": (
        "Ce créneau n'est plus libre.",
        "This slot is no longer free.",
    ),
    "slot_held": (
        "Ce créneau est réservé temporairement par un autre client.",
        "This slot is temporarily held by another client.",
    ),
    "hold_expired": (
        "La réservation temporaire a expiré ou n'existe pas.",
        "The hold has expired or does not exist.",
    ),
    "booking_refused": ("Réservation refusée : {detail}", "Booking refused: {detail}"),
    "idempotency_conflict": (
        "Cet identifiant a déjà servi pour une autre réservation.",
        "This identifier was already used for another booking.",
    ),
    "busy": (
        "Le planning est très sollicité : réessayez dans quelques secondes.",
        "The schedule is very busy: try again in a few seconds.",
    ),
    "internal": (
        "Erreur interne : la ressource produite n'est pas valide ; l'incident est journalisé.",
        "Internal error: the resource produced is not valid; the incident is logged.",
    ),
    "method": ("Méthode non prise en charge.", "Method not supported."),
    "not_acceptable": (
        "Format non pris en charge : seul JSON (application/fhir+json) est servi.",
        "Unsupported format: only JSON (application/fhir+json) is served.",
    ),
}


def language(request: HttpRequest | None) -> str:
    """'en' when the client prefers English, else French (the centre's language)."""
    if request is None:
        return "fr"
    header = request.headers.get("Accept-Language", "")
    best, best_q = "fr", -1.0
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = tag.strip().lower()[:2]
        if lang in ("fr", "en") and q > best_q:
            best, best_q = lang, q
    return best


def text(code: str, lang: str, **params: object) -> str:
    fr, en = MESSAGES[code]
    return (en if lang == "en" else fr).format(**params)
