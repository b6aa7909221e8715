# Audit events are deliberately absent from the admin: the trail is append-only and is read
# through the staff audit page, which itself leaves no way to change it.
