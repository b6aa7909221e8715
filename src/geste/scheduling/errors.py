"""Why a booking was refused: one exception per reason, each with a French sentence for the
person booking (pages show it, the API returns it with 409 or 422)."""

from __future__ import annotations

from django.utils.translation import gettext as _


class BookingError(ValueError):
    """A booking refused; the message (French source) says why, for the person booking."""


class SlotTaken(BookingError):
    """The room, the radiologist or the patient already has an appointment at that time."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Ce créneau vient d'être pris. Choisissez-en un autre."))


class ResourceBusy(BookingError):
    """Another booking held the room, the radiologist or the patient longer than the lock
    timeout: nothing was written; trying again in a few seconds usually works."""

    retry_after_seconds = 2

    def __init__(self) -> None:
        super().__init__(
            _("Le planning est très sollicité en ce moment. Réessayez dans quelques secondes.")
        )
