"""Who may open which staff page: one named decorator per group of roles, so that the role
table reads in one place (pathway.md, "Actors")."""

from __future__ import annotations

from geste.clinic.access import role_required
from geste.clinic.models import Role

# Reception, radiologists and administrators book, move and cancel appointments.
BOOKING_ROLES = (Role.RECEPTIONIST, Role.RADIOLOGIST, Role.ADMINISTRATOR)
booking_staff = role_required(*BOOKING_ROLES)
reception_required = role_required(Role.RECEPTIONIST, Role.ADMINISTRATOR)
# The floor: reception registers arrivals, technologists fetch the patients.
floor_required = role_required(Role.RECEPTIONIST, Role.TECHNOLOGIST, Role.ADMINISTRATOR)
tech_required = role_required(Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.ADMINISTRATOR)
radiologist_only = role_required(Role.RADIOLOGIST)
