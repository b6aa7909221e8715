"""Each role logs in and lands on its home page; patients are kept out of staff pages."""

import pytest
from django.test import Client
from django.urls import reverse

from geste.clinic.models import Role, User

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    "/equipe/",
    "/equipe/patients/",
    "/equipe/parametres/",
    "/equipe/audit/",
    "/crise/",
]


@pytest.mark.parametrize(
    ("role", "landing", "marker"),
    [
        (Role.RECEPTIONIST, "/equipe/", "Secrétariat"),
        (Role.TECHNOLOGIST, "/equipe/", "Manipulateur"),
        (Role.RADIOLOGIST, "/equipe/", "Radiologue"),
        (Role.ADMINISTRATOR, "/equipe/", "Administration"),
    ],
)
def test_each_staff_role_logs_in_and_lands_on_its_home(
    staff_users: dict[str, User], password: str, role: str, landing: str, marker: str
) -> None:
    user = staff_users[role]
    client = Client()
    response = client.post(
        "/connexion/", {"username": user.username, "password": password}, follow=True
    )
    assert response.redirect_chain[-1][0] == landing
    assert marker in response.content.decode()


def test_patient_logs_in_and_lands_on_the_portal(alice: object, password: str) -> None:
    response = Client().post(
        "/connexion/", {"username": "alice", "password": password}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/mon-espace/"
    assert "Bonjour Alice" in response.content.decode()


def test_wrong_password_shows_a_french_error(alice: object) -> None:
    response = Client().post("/connexion/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()


@pytest.mark.parametrize("path", [*STAFF_PAGES, "/admin/", "/admin/clinic/user/"])
def test_patient_gets_403_or_404_on_staff_pages_and_admin(alice_client: Client, path: str) -> None:
    assert alice_client.get(path).status_code in (403, 404)


@pytest.mark.parametrize("path", ["/admin/", "/admin/audit/"])
def test_admin_site_is_404_for_non_administrator_staff(
    staff_users: dict[str, User], path: str
) -> None:
    for role in (Role.RECEPTIONIST, Role.TECHNOLOGIST, Role.RADIOLOGIST):
        client = Client()
        client.force_login(staff_users[role])
        assert client.get(path).status_code == 404


def test_administrator_reaches_the_admin(admin_user: User) -> None:
    client = Client()
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("path", [*STAFF_PAGES, "/mon-espace/", "/accueil/"])
def test_anonymous_is_sent_to_login(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_technologist_cannot_read_patient_records_or_settings(
    technologist: User, alice: object
) -> None:
    client = Client()
    client.force_login(technologist)
    assert client.get("/equipe/patients/").status_code == 403
    assert client.get("/equipe/parametres/").status_code == 403


def test_receptionist_cannot_change_settings(receptionist: User) -> None:
    client = Client()
    client.force_login(receptionist)
    assert client.post("/equipe/parametres/", {}).status_code == 403


def test_missing_patient_is_404_for_staff(receptionist: User) -> None:
    client = Client()
    client.force_login(receptionist)
    assert client.get("/equipe/patients/999999/").status_code == 404


def test_patient_helper_gives_404_for_another_patients_record(alice: object, bob: object) -> None:
    from django.http import Http404

    from geste.patients.access import get_patient_for_user

    assert get_patient_for_user(alice.user, alice.pk) == alice  # type: ignore[attr-defined]
    with pytest.raises(Http404):
        get_patient_for_user(alice.user, bob.pk)  # type: ignore[attr-defined]
    with pytest.raises(Http404):
        get_patient_for_user(alice.user, 424242)  # type: ignore[attr-defined]


def test_administrator_edits_settings_with_validation(admin_user: User) -> None:
    from geste.audit.models import AuditEvent
    from geste.clinic.models import CentreSettings
    from geste.staff.forms import CentreSettingsForm

    client = Client()
    client.force_login(admin_user)
    data = CentreSettingsForm(instance=CentreSettings.current()).initial
    data = {k: v for k, v in data.items() if k not in {"id", "profile"}}
    bad = {**data, "inr_max_high_risk": "9"}
    response = client.post("/equipe/parametres/", bad)
    assert response.status_code == 200
    assert CentreSettings.current().inr_max_high_risk == 1.5
    good = {**data, "inr_max_high_risk": "1.4"}
    response = client.post("/equipe/parametres/", good)
    assert response.status_code == 302
    assert CentreSettings.current().inr_max_high_risk == 1.4
    assert AuditEvent.objects.filter(action="settings.updated").count() == 1


def test_password_reset_sends_a_french_mail(alice: object) -> None:
    from django.core import mail

    response = Client().post("/mot-de-passe/oubli/", {"email": "alice@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "mot de passe" in mail.outbox[0].body


def test_landing_page_explains_geste() -> None:
    response = Client().get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Une consultation avec un radiologue" in body
    assert "Infiltration épidurale" in body
    assert "non réalisé au centre" in body
    assert "/prendre-rendez-vous/" in body


def test_english_is_available() -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/").content.decode()
    assert 'lang="en"' in body
    assert "Epidural infiltration" in body
