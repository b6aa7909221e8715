"""The pre-procedure safety check (the time-out): ``docs/domain/safety-check.md``.

``check(case)`` returns a verdict (go / review / no_go), the bleeding-risk class and the
findings, in the order of the rule table of the domain document (info findings last).

Decisions taken where the domain document is silent (also listed in the project report):

1. Hold intervals are absolute elapsed time (``timedelta`` of hours, computed in UTC, so that a
   daylight-saving change never adds or removes an hour); exactly the interval is allowed.
2. ``earliest_safe_at`` is given only when ``medication_hold`` fires: the latest
   (last dose + interval) over all held drugs (an aware UTC datetime; ``to_json`` writes it
   in Europe/Paris).
3. Unknown creatinine clearance takes the longer interval. Low-molecular-weight heparins
   (enoxaparin, dalteparin, tinzaparin, nadroparin) and subcutaneous calcium heparin with
   ``dose`` null count as therapeutic (the longer interval).
4. A vitamin K antagonist (warfarin, acenocoumarol, fluindione) makes a hemostasis result
   required for ANY procedure; that result must be sampled on the procedure day or the day
   before (Europe/Paris calendar dates); its INR threshold is the one of the procedure's risk
   class.
5. A hemostasis result given although not required is still checked against the thresholds (a
   low platelet count is a finding whatever the procedure); its age is judged only when the
   result is required.
6. A required result is stale when sampled after ``scheduled_at`` or more than
   ``hemostasis_max_age_days`` x 24 h before it (exactly 30 days is still valid).
7. A required result without a value it must have (platelets and INR before a high-risk
   procedure, INR for a vitamin K antagonist) gives ``hemostasis_incomplete`` (no_go,
   revision 2), stale or not: the new sample must carry the missing value too. aPTT is
   optional (its own finding is only a review).
8. Fluindione before a high-risk procedure: ``medication_unknown`` (not in SIR) plus the INR
   rules of decision 4.
9. Low-risk procedures: anticoagulants and antiplatelets (fluindione and aspirin included) are
   continued: one ``medication_continued`` info naming them. NSAIDs, whatever the procedure:
   one ``nsaid_no_hold`` info. An unrecognised drug: ``medication_unknown`` for any procedure.
10. One finding per code: drugs sharing a code are named together in its detail.
11. ``pregnancy_unknown`` only for sex F or X, ``childbearing_age_min <= age <= max``
    (inclusive) and ``pregnant`` null; ``pregnancy`` whenever ``pregnant`` is true.
12. Allergy findings follow the order of the table, not the declaration order.
13. ``renal_review`` needs a KNOWN creatinine clearance below the setting (15 mL/min): an
    unknown one already takes the longer interval. It names every renally cleared
    anticoagulant declared, held or not (the radiologist decides); ``medication_hold`` and
    ``earliest_safe_at`` still use the longer interval of each drug's row.
14. Infection and skin lesion are ``no_go`` before vertebroplasty (benign or tumoral) and
    tumour ablation, a review otherwise; neutropenia is a review before those three only.
15. A clinical input that is unknown (null) is read as false here: ``pregnancy_unknown``
    is the only finding an unknown input raises.

Every finding carries its stable ``rule`` id and short ``source`` from the rule table
``safety_rules.json`` (loaded by ``explain.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from .case import ALLERGIES, PROCEDURES, Case, Medication
from .compiled import DEFAULT_COMPILED, Compiled, compiled, elapsed
from .details import render_detail
from .drugs import INN_CLASS, normalise_drug
from .explain import (
    CEMENT_OR_ABLATION,
    FINDING_SPECS,
    HEPARIN_CALCIUM_SOURCE,
    PARIS,
    STOP_BEFORE_CEMENT,
    FindingSpec,
)
from .settings import DEFAULT, SafetySettings

__all__ = ["CheckResult", "Finding", "bleeding_risk", "check", "is_high_risk"]


class Finding(NamedTuple):
    """One finding (immutable). A NamedTuple rather than a frozen dataclass: the check builds
    millions of them and a frozen dataclass costs about five times more to construct."""

    code: str
    severity: str  # no_go | review | info
    rule: str  # stable rule id of the table (safety_rules.json), e.g. "S05"
    source: str  # short citation, e.g. "SIR 2019, hold intervals"
    text_fr: str
    text_en: str
    args: tuple[Any, ...] = ()  # the facts behind the detail (drugs, values, dates)

    def detail(self, lang: str = "fr") -> str:
        return render_detail(
            self.code, lang, self.args, self.text_en if lang == "en" else self.text_fr
        )


class CheckResult(NamedTuple):
    """The outcome of the check for one case (immutable NamedTuple, see ``Finding``)."""

    id: str
    verdict: str  # go | review | no_go
    bleeding_risk: str  # high | low
    findings: tuple[Finding, ...]
    # Aware (UTC), only when medication_hold fires; to_json gives it in Europe/Paris.
    earliest_safe_at: datetime | None

    def to_json(self, lang: str = "fr") -> dict[str, Any]:
        """The contract's output object, keys in the contract order."""
        e = self.earliest_safe_at
        return {
            "id": self.id,
            "verdict": self.verdict,
            "bleeding_risk": self.bleeding_risk,
            "findings": [
                {
                    "code": f.code,
                    "severity": f.severity,
                    "detail": f.detail(lang),
                    "rule": f.rule,
                    "source": f.source,
                }
                for f in self.findings
            ],
            "earliest_safe_at": None if e is None else e.astimezone(PARIS).isoformat(),
        }

    @property
    def codes(self) -> frozenset[str]:
        """Codes of the non-info findings (what a radiologist must act on)."""
        return frozenset(f.code for f in self.findings if f.severity != "info")


# ------------------------------------------------------------------------- bleeding risk

# Regions where each procedure is HIGH risk (SIR 2019 classes, see the domain table).
_ALL_REGIONS = frozenset(("cervical", "thoracic", "lumbar", "sacral", "peripheral"))
_HIGH_REGIONS: dict[str, frozenset[str]] = {
    "epidural_infiltration": _ALL_REGIONS,
    "foraminal_infiltration": _ALL_REGIONS,
    "discal_infiltration": _ALL_REGIONS,
    "facet_infiltration": frozenset(("cervical",)),
    "intrathecal_injection": frozenset(),
    "bone_biopsy": _ALL_REGIONS - {"peripheral"},
    "vertebroplasty_benign": _ALL_REGIONS,
    "vertebroplasty_tumoral": _ALL_REGIONS,
    "tumor_ablation": _ALL_REGIONS,
    "peripheral_joint_infiltration": frozenset(),
}
assert set(_HIGH_REGIONS) == set(PROCEDURES)


def is_high_risk(procedure: str, region: str) -> bool:
    return region in _HIGH_REGIONS[procedure]


def bleeding_risk(case: Case) -> str:
    """``"high"`` or ``"low"`` (SIR 2019 class of the procedure, by region)."""
    return "high" if case.region in _HIGH_REGIONS[case.procedure] else "low"


# ------------------------------------------------------------------------------ findings


_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__


def _spec_fields(spec: FindingSpec) -> tuple[str, str, str, str, str, str]:
    return (spec.code, spec.severity, spec.rule, spec.source, spec.text_fr, spec.text_en)


_PREFIX = {code: _spec_fields(spec) for code, spec in FINDING_SPECS.items()}


def _finding(code: str, args: tuple[Any, ...] = ()) -> Finding:
    return _new(Finding, (*_PREFIX[code], args))


# Findings without facts are built once.
_F: dict[str, Finding] = {code: _finding(code) for code in FINDING_SPECS}
_F_INDICATION = _F["indication_not_validated"]
_F_PREGNANCY = _F["pregnancy"]
_F_PREGNANCY_UNKNOWN = _F["pregnancy_unknown"]
_F_FEVER = _F["fever"]
_F_INFECTION = _F["infection"]
_F_SKIN = _F["skin_lesion"]
_F_INFECTION_STOP: Finding = _new(Finding, (*_spec_fields(STOP_BEFORE_CEMENT["infection"]), ()))
_F_SKIN_STOP: Finding = _new(Finding, (*_spec_fields(STOP_BEFORE_CEMENT["skin_lesion"]), ()))
_F_NEUTROPENIA = _F["neutropenia"]
_ALLERGY_CODES = {
    "iodinated_contrast": "allergy_contrast",
    "corticosteroid": "allergy_corticosteroid",
    "local_anaesthetic": "allergy_local_anaesthetic",
    "latex": "allergy_latex",
    "other": "allergy_other",
}
_F_ALLERGY: tuple[tuple[str, Finding], ...] = tuple((a, _F[_ALLERGY_CODES[a]]) for a in ALLERGIES)
_F_ALLERGY_SINGLE = dict(_F_ALLERGY)
_F_DISABLED = {p: _finding("procedure_not_performed", (p,)) for p in PROCEDURES}


# -------------------------------------------------------------------------------- check

_ZERO = timedelta(0)

_Named = tuple[tuple[str, str], ...]
_Held = tuple[tuple[str, str, float, datetime, datetime], ...]  # name, INN, h, last, safe
_Scan = tuple[
    _Named,  # VKAs
    _Held,  # held before a high-risk procedure
    _Named,  # aspirin before a high-risk procedure
    tuple[tuple[str, str | None], ...],  # unknown (and fluindione before high risk)
    _Named,  # continued (low-risk procedure)
    _Named,  # NSAIDs
    _Named,  # renally cleared anticoagulants with a CrCl below the setting
    datetime | None,  # earliest safe time (UTC)
]
_NO_MEDICATIONS: _Scan = ((), (), (), (), (), (), (), None)


_VKA_INNS = frozenset(inn for inn, cls in INN_CLASS.items() if cls == "vka")
# Anticoagulants cleared by the kidney (renal_review, SIR 2019).
_RENAL_INNS = frozenset(
    inn for inn, cls in INN_CLASS.items() if cls in ("lmwh", "fondaparinux", "doac")
)
# Hold key by INN and dose, where the dose decides (dose unknown: the longer interval).
_BY_DOSE = {
    **{
        inn: ("lmwh_prophylactic", "lmwh_therapeutic")
        for inn, cls in INN_CLASS.items()
        if cls == "lmwh"
    },
    "heparin calcium": ("heparin_calcium_prophylactic", "heparin_calcium_therapeutic"),
}


def _scan_medications(
    case: Case, meds: tuple[Medication, ...], high: bool, c: Compiled, sched: datetime
) -> _Scan:
    """Sort the declared drugs by what they trigger (see the module docstring, 3, 8, 9, 13)."""
    vka: list[tuple[str, str]] = []
    held: list[tuple[str, str, float, datetime, datetime]] = []
    aspirin: list[tuple[str, str]] = []
    unknown: list[tuple[str, str | None]] = []
    continued: list[tuple[str, str]] = []
    nsaid: list[tuple[str, str]] = []
    renal: list[tuple[str, str]] = []
    earliest: datetime | None = None
    crcl = case.patient.creatinine_clearance_ml_min
    renal_low = high and crcl is not None and crcl < c.renal_below
    for m in meds:
        inn = normalise_drug(m.drug)
        if inn is None:
            unknown.append((m.drug, None))
            continue
        cls = INN_CLASS[inn]
        if cls == "nsaid":
            nsaid.append((m.drug, inn))
            continue
        if inn in _VKA_INNS:
            vka.append((m.drug, inn))
        if not high:
            continued.append((m.drug, inn))
        elif inn == "aspirin":
            aspirin.append((m.drug, inn))
        elif inn == "fluindione":
            unknown.append((m.drug, inn))
        else:
            by_dose = _BY_DOSE.get(inn)
            key = inn if by_dose is None else by_dose[m.dose != "prophylactic"]
            h = c.holds[key]
            if h.threshold is None or (crcl is not None and crcl >= h.threshold):
                td, hours = h.td, h.hours
            else:
                td, hours = h.td_low, h.hours_low
            last = m.last_dose_at
            if elapsed(sched, last) < td:  # exactly the interval is allowed
                safe_at = last.astimezone(UTC) + td
                held.append((m.drug, inn, hours, last, safe_at))
                if earliest is None or safe_at > earliest:
                    earliest = safe_at
            if renal_low and inn in _RENAL_INNS:
                renal.append((m.drug, inn))
    return (
        tuple(vka),
        tuple(held),
        tuple(aspirin),
        tuple(unknown),
        tuple(continued),
        tuple(nsaid),
        tuple(renal),
        earliest,
    )


def _hemostasis(
    findings: list[Finding],
    case: Case,
    c: Compiled,
    sched: datetime,
    high: bool,
    vka: _Named,
) -> None:
    """The findings of the blood test (hemostasis_missing ... aptt_high)."""
    hemo = case.hemostasis
    required = high or bool(vka)
    if hemo is None:
        if required:
            findings.append(_finding("hemostasis_missing", (high, vka)))
        return
    if required:
        sampled = hemo.sampled_at
        age = elapsed(sched, sampled)
        stale: str | None = None
        if age < _ZERO:
            stale = "after"
        elif age > c.max_age:
            stale = "old"
        elif vka:
            days = (sched.astimezone(PARIS).date() - sampled.astimezone(PARIS).date()).days
            if days > 1:
                stale = "vka"
        if stale is not None:
            args = (stale, hemo.sampled_at, c.max_age_days)
            findings.append(_finding("hemostasis_stale", args))
        missing: tuple[str, ...] = ()
        if high and hemo.platelets_g_l is None:
            missing = ("platelets",)
        if hemo.inr is None:  # required: high risk or a VKA
            missing = (*missing, "inr")
        if missing:
            findings.append(_finding("hemostasis_incomplete", missing))
    plt = hemo.platelets_g_l
    if plt is not None:
        limit = c.plt_high if high else c.plt_low
        if plt < limit:
            findings.append(_finding("platelets_low", (plt, limit)))
    inr = hemo.inr
    if inr is not None:
        limit = c.inr_high if high else c.inr_low
        if inr > limit:
            findings.append(_finding("inr_high", (inr, limit)))
    aptt = hemo.aptt_ratio
    if aptt is not None and aptt > c.aptt:
        findings.append(_finding("aptt_high", (aptt, c.aptt)))


_HOLD_PREFIX = _PREFIX["medication_hold"]
_HOLD_CALCIUM_PREFIX = (*_HOLD_PREFIX[:3], HEPARIN_CALCIUM_SOURCE, *_HOLD_PREFIX[4:])


def check(
    case: Case, settings: SafetySettings = DEFAULT, at: datetime | None = None
) -> CheckResult:
    """Run every rule of the safety check on one case.

    ``at`` is the start time used when the case has no ``scheduled_at`` (default: now).
    """
    c = DEFAULT_COMPILED if settings is DEFAULT else compiled(settings)
    sched = case.scheduled_at
    if sched is None:
        sched = at if at is not None else datetime.now(UTC)
    if sched.tzinfo is None:
        raise ValueError("scheduled_at / at must be an aware datetime (with a UTC offset)")
    proc = case.procedure
    high = case.region in _HIGH_REGIONS[proc]

    findings: list[Finding] = []
    if proc in c.disabled:
        findings.append(_F_DISABLED[proc])
    if case.indication_validated is not True:
        findings.append(_F_INDICATION)

    # Medications first: a VKA changes the hemostasis rules.
    meds = case.medications
    scan = _scan_medications(case, meds, high, c, sched) if meds else _NO_MEDICATIONS
    vka, held, aspirin, unknown, continued, nsaid, renal, earliest = scan

    if high or vka or case.hemostasis is not None:
        _hemostasis(findings, case, c, sched, high, vka)

    if held:
        calcium = any(h[1] == "heparin calcium" for h in held)
        findings.append(_new(Finding, (*(_HOLD_CALCIUM_PREFIX if calcium else _HOLD_PREFIX), held)))
    if aspirin:
        findings.append(_finding("antiplatelet_review", (aspirin,)))
    if unknown:
        findings.append(_finding("medication_unknown", unknown))

    patient = case.patient
    if patient.pregnant is True:
        findings.append(_F_PREGNANCY)
    elif patient.pregnant is None and patient.sex != "M" and c.age_min <= patient.age <= c.age_max:
        findings.append(_F_PREGNANCY_UNKNOWN)
    if case.fever:
        findings.append(_F_FEVER)
    cement = proc in CEMENT_OR_ABLATION
    if case.current_infection:
        findings.append(_F_INFECTION_STOP if cement else _F_INFECTION)
    if case.skin_lesion_at_site:
        findings.append(_F_SKIN_STOP if cement else _F_SKIN)
    if cement and case.neutropenia:
        findings.append(_F_NEUTROPENIA)
    if renal:
        findings.append(_finding("renal_review", (renal, patient.creatinine_clearance_ml_min)))
    allergies = case.allergies
    if allergies:
        if len(allergies) == 1:
            findings.append(_F_ALLERGY_SINGLE[allergies[0]])
        else:
            findings.extend(f for a, f in _F_ALLERGY if a in allergies)

    if continued:
        findings.append(_finding("medication_continued", (continued,)))
    if nsaid:
        findings.append(_finding("nsaid_no_hold", (nsaid,)))

    verdict = "go"
    for f in findings:
        sev = f.severity
        if sev == "no_go":
            verdict = "no_go"
            break
        if sev == "review":
            verdict = "review"
    return _new(
        CheckResult,
        (
            case.id,
            verdict,
            "high" if high else "low",
            tuple(findings),
            earliest,
        ),
    )
