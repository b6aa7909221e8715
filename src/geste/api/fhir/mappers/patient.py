"""Patient, following FR Core Patient (and Patient-INS once the identity is qualified)."""

from __future__ import annotations

from typing import Any

from geste.api.fhir.mappers.common import FR_CORE, INS_NIR_OID, PATIENT_SYSTEM
from geste.patients.models import IdentityStatus, Patient

GENDER = {"F": "female", "M": "male", "X": "other"}
SEX = {v: k for k, v in GENDER.items()} | {"unknown": "X"}
RELIABILITY_URL = f"{FR_CORE}/StructureDefinition/fr-core-identity-reliability"
RELIABILITY_SYSTEM = f"{FR_CORE}/CodeSystem/fr-core-cs-v2-0445"
STATUS_CODE = {
    IdentityStatus.PROVISIONAL: "PROV",
    IdentityStatus.RETRIEVED: "RECUP",
    IdentityStatus.VALIDATED: "VALI",
    IdentityStatus.QUALIFIED: "QUAL",
}
CODE_STATUS = {v: k for k, v in STATUS_CODE.items()}
BIRTHPLACE_URL = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
INSEE_URL = f"{FR_CORE}/StructureDefinition/fr-core-address-insee-code"
INSEE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"
INS_TYPE = {"coding": [{"system": f"{FR_CORE}/CodeSystem/fr-core-cs-v2-0203", "code": "INS-NIR"}]}


def to_fhir(p: Patient) -> dict[str, Any]:
    qualified = p.identity_status == IdentityStatus.QUALIFIED and bool(p.ins)
    identifiers: list[dict[str, Any]] = [
        {"use": "usual", "system": PATIENT_SYSTEM, "value": str(p.pk)}
    ]
    # RNIV: the INS travels only with a qualified identity.
    if qualified:
        identifiers.append(
            {"use": "official", "type": INS_TYPE, "system": INS_NIR_OID, "value": p.ins}
        )
    extensions: list[dict[str, Any]] = [
        {
            "url": RELIABILITY_URL,
            "extension": [
                {
                    "url": "identityStatus",
                    "valueCoding": {
                        "system": RELIABILITY_SYSTEM,
                        "code": STATUS_CODE[IdentityStatus(p.identity_status)],
                    },
                }
            ],
        }
    ]
    if p.birthplace_insee:
        extensions.append(
            {
                "url": BIRTHPLACE_URL,
                "valueAddress": {
                    "extension": [
                        {
                            "url": INSEE_URL,
                            "valueCoding": {"system": INSEE_SYSTEM, "code": p.birthplace_insee},
                        }
                    ]
                },
            }
        )
    given = p.first_names.split()
    names: list[dict[str, Any]] = [{"use": "official", "family": p.birth_name, "given": given}]
    if p.last_name and p.last_name != p.birth_name:
        names.append({"use": "usual", "family": p.last_name, "given": given[:1]})
    telecom = [{"system": "phone", "value": p.phone}] if p.phone else []
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    profile = "fr-core-patient-ins" if qualified else "fr-core-patient"
    out: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(p.pk),
        "meta": {"profile": [f"{FR_CORE}/StructureDefinition/{profile}"]},
        "extension": extensions,
        "identifier": identifiers,
        "name": names,
        "gender": GENDER.get(p.sex, "unknown"),
        "birthDate": p.birth_date.isoformat(),
    }
    if telecom:
        out["telecom"] = telecom
    return out


def from_fhir(model: Any) -> dict[str, Any]:
    """Fields of our Patient from an R4B Patient model (validated by the caller)."""
    fields: dict[str, Any] = {}
    for ident in model.identifier or []:
        if ident.system == INS_NIR_OID and ident.value:
            fields["ins"] = ident.value
    names = {n.use or "official": n for n in model.name or []}
    official = names.get("official") or next(iter(names.values()), None)
    if official is not None:
        fields["birth_name"] = official.family or ""
        fields["first_names"] = " ".join(official.given or [])
        usual = names.get("usual")
        fields["last_name"] = (usual.family if usual and usual.family else official.family) or ""
    if model.gender:
        fields["sex"] = SEX.get(model.gender, "X")
    if model.birthDate:
        fields["birth_date"] = model.birthDate
    for contact in model.telecom or []:
        if contact.system == "phone":
            fields["phone"] = contact.value or ""
        elif contact.system == "email":
            fields["email"] = contact.value or ""
    for ext in model.extension or []:
        if ext.url == RELIABILITY_URL:
            for sub in ext.extension or []:
                if sub.url == "identityStatus" and sub.valueCoding is not None:
                    status = CODE_STATUS.get(sub.valueCoding.code or "")
                    if status is not None:
                        fields["identity_status"] = status
        elif ext.url == BIRTHPLACE_URL and ext.valueAddress is not None:
            for sub in ext.valueAddress.extension or []:
                if sub.url == INSEE_URL and sub.valueCoding is not None:
                    fields["birthplace_insee"] = sub.valueCoding.code or ""
    return fields
