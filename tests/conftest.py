"""Personas shared by every test: patient Alice, other patient Bob, and one user per staff role."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from geste.clinic.models import Role, User
from geste.patients.models import Patient
from tests.factories import PASSWORD, make_patient_with_account, make_user


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL-marked tests are deselected (not skipped) unless DATABASE_URL is PostgreSQL."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    kept, dropped = [], []
    for item in items:
        (dropped if "postgres" in item.keywords else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped test fails the run: every test must really execute there."""
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(getattr(reporter, "stats", {}).get("skipped", [])) if reporter else 0
    if skipped:
        if reporter is not None:
            reporter.write_line(f"CI=true: {skipped} test(s) skipped; not allowed in CI", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    """Transactional tests start from a flushed database: put the catalogue back."""
    from geste.clinic.catalogue import ensure_reference_data
    from geste.pathway.formulary import seed_formulary

    ensure_reference_data()
    seed_formulary()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def alice(db: None) -> Patient:
    return make_patient_with_account("alice", "Alice", "Moreau", sex="F")


@pytest.fixture
def bob(db: None) -> Patient:
    return make_patient_with_account("bob", "Bob", "Lefèvre", sex="M")


@pytest.fixture
def receptionist(db: None) -> User:
    return make_user("reception", Role.RECEPTIONIST, first_name="Nadia", last_name="Benali")


@pytest.fixture
def technologist(db: None) -> User:
    return make_user("manip", Role.TECHNOLOGIST, first_name="Thomas", last_name="Girard")


@pytest.fixture
def radiologist(db: None) -> User:
    return make_user("radio", Role.RADIOLOGIST, first_name="Hélène", last_name="Durand")


@pytest.fixture
def admin_user(db: None) -> User:
    return make_user("chef", Role.ADMINISTRATOR, first_name="Claire", last_name="Fontaine")


@pytest.fixture
def staff_users(
    receptionist: User, technologist: User, radiologist: User, admin_user: User
) -> dict[str, User]:
    return {
        Role.RECEPTIONIST: receptionist,
        Role.TECHNOLOGIST: technologist,
        Role.RADIOLOGIST: radiologist,
        Role.ADMINISTRATOR: admin_user,
    }


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice: Patient) -> Client:
    assert alice.user is not None
    return client_for(alice.user)


@pytest.fixture
def bob_client(bob: Patient) -> Client:
    assert bob.user is not None
    return client_for(bob.user)
