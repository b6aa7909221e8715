"""geste: software for an image-guided spine and joint procedure centre."""

from zoneinfo import ZoneInfo

# The centre's time zone, and the one constant for it (settings.TIME_ZONE names the same zone).
# Here, at the root of the package, so that the pure engines (rules, planning) use it too
# without importing any room.
PARIS = ZoneInfo("Europe/Paris")
