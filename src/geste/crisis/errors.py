"""The crisis room's error: a refused action, with a message in the user's language."""


class CrisisError(ValueError):
    """A crisis action refused: the message says why, in the user's language."""
