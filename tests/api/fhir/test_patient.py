"""Patient following FR Core (point 1), INS writes (points 3 and 5)."""

from __future__ import annotations

import pytest

from geste.api.fhir.mappers.common import INS_NIR_OID
from geste.api.fhir.mappers.patient import RELIABILITY_URL
from geste.audit.models import AuditEvent
from geste.patients.models import IdentityStatus, Patient

pytestmark = pytest.mark.django_db
CORSICA_2A = "253072A07300443"  # born in Corse-du-Sud (2A004), valid key


def fr_core_patient(ins: str = CORSICA_2A, status: str = "QUAL", **extra) -> dict:  # type: ignore[no-untyped-def]
    body = {
        "resourceType": "Patient",
        "extension": [
            {
                "url": RELIABILITY_URL,
                "extension": [
                    {
                        "url": "identityStatus",
                        "valueCoding": {
                            "system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0445",
                            "code": status,
                        },
                    }
                ],
            }
        ],
        "identifier": [{"system": INS_NIR_OID, "value": ins}],
        "name": [
            {"use": "official", "family": "SANTONI", "given": ["Maria", "Lucia"]},
            {"use": "usual", "family": "PIETRI"},
        ],
        "gender": "female",
        "birthDate": "1953-07-14",
        "telecom": [{"system": "phone", "value": "06 11 22 33 44"}],
    }
    body.update(extra)
    return body


def _identity(resource: dict) -> tuple[list[str], str]:  # type: ignore[type-arg]
    systems = [i["system"] for i in resource["identifier"]]
    reliability = next(e for e in resource["extension"] if e["url"] == RELIABILITY_URL)
    return systems, reliability["extension"][0]["valueCoding"]["code"]


def test_the_ins_travels_only_with_a_qualified_identity(reception, alice):  # type: ignore[no-untyped-def]
    Patient.objects.filter(pk=alice.pk).update(ins="255087505612304", identity_status="validee")
    body = reception.get(f"Patient/{alice.pk}").json()
    systems, status = _identity(body)
    assert INS_NIR_OID not in systems and status == "VALI"
    assert body["meta"]["profile"][0].endswith("/fr-core-patient")

    Patient.objects.filter(pk=alice.pk).update(identity_status=IdentityStatus.QUALIFIED)
    body = reception.get(f"Patient/{alice.pk}").json()
    systems, status = _identity(body)
    assert INS_NIR_OID in systems and status == "QUAL"
    assert body["meta"]["profile"][0].endswith("/fr-core-patient-ins")
    assert body["gender"] == "female" and body["birthDate"] == alice.birth_date.isoformat()


def test_create_a_corsican_patient_with_a_qualified_identity(reception):  # type: ignore[no-untyped-def]
    body = fr_core_patient(
        extension=[
            *fr_core_patient()["extension"],
            {
                "url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                "valueAddress": {
                    "extension": [
                        {
                            "url": "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code",
                            "valueCoding": {"code": "2A073"},
                        }
                    ]
                },
            },
        ]
    )
    response = reception.post("Patient", body)
    assert response.status_code == 201, response.json()
    created = Patient.objects.get(pk=response.json()["id"])
    assert (created.ins, created.identity_status, created.birthplace_insee) == (
        CORSICA_2A,
        IdentityStatus.QUALIFIED,
        "2A073",
    )
    assert (created.birth_name, created.last_name, created.first_names) == (
        "SANTONI",
        "PIETRI",
        "Maria Lucia",
    )
    assert response["Location"].endswith(f"/fhir/R4/Patient/{created.pk}")
    assert AuditEvent.objects.filter(action="fhir.patient_created", patient=created).exists()


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Matricule INS invalide (15 caractères dont la clé de contrôle)."),
        ("en", "Invalid INS number (15 characters including the check key)."),
    ],
)
def test_a_wrong_ins_key_is_refused_with_an_outcome(reception, lang, text):  # type: ignore[no-untyped-def]
    wrong_key = CORSICA_2A[:13] + "44"
    response = reception.post("Patient", fr_core_patient(wrong_key), HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 422
    assert response.json()["issue"][0]["details"]["text"] == text
    assert not Patient.objects.filter(birth_name="SANTONI").exists()


def test_a_second_record_with_the_same_ins_is_refused(reception):  # type: ignore[no-untyped-def]
    assert reception.post("Patient", fr_core_patient()).status_code == 201
    again = reception.post("Patient", fr_core_patient())
    assert again.status_code == 409
    assert again.json()["issue"][0]["details"]["coding"][0]["code"] == "duplicate_ins"
    assert Patient.objects.filter(ins=CORSICA_2A).count() == 1


def test_an_ins_of_the_other_sex_is_refused(reception):  # type: ignore[no-untyped-def]
    response = reception.post("Patient", fr_core_patient(gender="male"))
    assert response.status_code == 422


def test_qualified_without_ins_is_refused(reception):  # type: ignore[no-untyped-def]
    body = fr_core_patient()
    body["identifier"] = []
    response = reception.post("Patient", body)
    assert response.status_code == 422
    assert "identity_status" in response.json()["issue"][0]["details"]["text"]


def test_update_moves_the_identity_status(reception, alice):  # type: ignore[no-untyped-def]
    current = reception.get(f"Patient/{alice.pk}").json()
    current["extension"][0]["extension"][0]["valueCoding"]["code"] = "RECUP"
    response = reception.put(f"Patient/{alice.pk}", current)
    assert response.status_code == 200, response.json()
    alice.refresh_from_db()
    assert alice.identity_status == IdentityStatus.RETRIEVED
    assert AuditEvent.objects.filter(action="fhir.patient_updated", patient=alice).exists()


def test_technologists_may_read_but_not_write_patients(manip, alice):  # type: ignore[no-untyped-def]
    assert manip.get(f"Patient/{alice.pk}").status_code == 200
    assert manip.post("Patient", fr_core_patient()).status_code == 403


def test_search_by_ins_finds_only_qualified_identities(reception, alice, bob):  # type: ignore[no-untyped-def]
    Patient.objects.filter(pk=alice.pk).update(ins="255087505612304", identity_status="qualifiee")
    Patient.objects.filter(pk=bob.pk).update(ins=CORSICA_2A, identity_status="provisoire")
    found = reception.get("Patient", {"identifier": f"{INS_NIR_OID}|255087505612304"}).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [str(alice.pk)]
    assert (
        "entry"
        not in reception.get("Patient", {"identifier": f"{INS_NIR_OID}|{CORSICA_2A}"}).json()
    )


def test_search_pages_with_count_and_links(reception):  # type: ignore[no-untyped-def]
    from tests.factories import make_patient

    for i in range(5):
        make_patient(f"P{i}", "Paging")
    first = reception.get("Patient", {"family": "Paging", "_count": 2}).json()
    assert first["total"] == 5 and len(first["entry"]) == 2
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "_offset=2" in links["next"] and "previous" not in links
    last = reception.get("Patient", {"family": "Paging", "_count": 2, "_offset": 4}).json()
    assert len(last["entry"]) == 1
    assert {link["relation"] for link in last["link"]} == {"self", "previous"}
