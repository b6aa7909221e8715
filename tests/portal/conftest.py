"""The scheduling fixtures (a centre with rooms, rosters and a frozen clock) for portal tests."""

from tests.scheduling.conftest import centre, frozen  # noqa: F401 - fixtures
