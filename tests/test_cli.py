import io
import subprocess
import sys
from contextlib import redirect_stdout

import pytest
from django.test import Client

from geste.api.models import ApiToken
from geste.cli import main

pytestmark = pytest.mark.django_db


def _token_for(username: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["api-token", username])
    return code, out.getvalue().strip()


def test_api_token_is_printed_stored_hashed_and_accepted(radiologist: object) -> None:
    code, raw = _token_for("radio")
    assert code == 0
    assert raw.startswith("gst_")
    token = ApiToken.objects.get()
    assert token.key_hash != raw and raw not in token.key_hash
    response = Client().get("/api/v1/whoami", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.json() == {"username": "radio", "role": "radiologist"}


def test_revoked_token_is_refused(radiologist: object) -> None:
    _, raw = _token_for("radio")
    ApiToken.objects.get().revoke()
    response = Client().get("/api/v1/whoami", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_api_refuses_anonymous_and_patients(alice_client: Client) -> None:
    assert Client().get("/api/v1/whoami").status_code == 401
    assert alice_client.get("/api/v1/whoami").status_code == 401


def test_no_token_for_patients_or_unknown_users(alice: object) -> None:
    assert _token_for("alice")[0] == 2
    assert _token_for("nobody")[0] == 2


def test_openapi_docs_page(admin_user: object) -> None:
    client = Client()
    client.force_login(admin_user)  # type: ignore[arg-type]
    assert client.get("/api/v1/docs").status_code == 200
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "geste API"


def test_demo_seed_is_deterministic_and_complete() -> None:
    from geste.clinic.models import Role, Room, User
    from geste.demo import load_demo
    from geste.patients.models import Patient

    load_demo(patients=300)
    assert Room.objects.filter(modality="fluoroscopy").count() == 2
    assert Room.objects.filter(modality="ultrasound").count() == 1
    counts = {role: User.objects.filter(role=role).count() for role in Role.values}
    assert counts[Role.RADIOLOGIST] == 4
    assert counts[Role.TECHNOLOGIST] == 6
    assert counts[Role.RECEPTIONIST] == 2
    assert counts[Role.ADMINISTRATOR] == 1
    assert Patient.objects.count() >= 300
    first = list(Patient.objects.order_by("pk").values_list("last_name", "first_names")[:5])
    for username in ("admin", "accueil1", "manip1", "radio1", "patient1", "patient2"):
        assert User.objects.get(username=username).check_password("geste-demo")
    load_demo(patients=300)  # idempotent: a second run adds nothing
    assert Patient.objects.count() == 302
    assert list(Patient.objects.order_by("pk").values_list("last_name", "first_names")[:5]) == (
        first
    )


def test_geste_console_script_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "geste.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    for word in ("demo", "serve", "seed", "api-token", "check", "triage", "manage"):
        assert word in result.stdout
