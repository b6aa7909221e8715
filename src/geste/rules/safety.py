"""The pre-procedure safety check (the time-out): ``docs/domain/safety-check.md``.

``check(case)`` returns a verdict (go / review / no_go), the bleeding-risk class and the
findings, in the order of the rule table of the domain document (info findings last).

Decisions taken where the domain document is silent (also listed in the project report):

1. Hold intervals are absolute elapsed time (``timedelta`` of hours, computed in UTC, so that a
   daylight-saving change never adds or removes an hour); exactly the interval is allowed.
2. ``earliest_safe_at`` is given only when ``medication_hold`` fires: the latest
   (last dose + interval) over all held drugs (an aware UTC datetime; ``to_json`` writes it
   in Europe/Paris).
3. Unknown creatinine clearance takes the longer interval. Enoxaparin, dalteparin and
   tinzaparin with ``dose`` null count as therapeutic (the longer interval).
4. A vitamin K antagonist (warfarin, acenocoumarol, fluindione) makes a hemostasis result
   required for ANY procedure; that result must be sampled on the procedure day or the day
   before (Europe/Paris calendar dates); its INR threshold is the one of the procedure's risk
   class.
5. A hemostasis result given although not required is still checked against the thresholds (a
   low platelet count is a finding whatever the procedure); its age is judged only when the
   result is required.
6. A required result is stale when sampled after ``scheduled_at`` or more than
   ``hemostasis_max_age_days`` x 24 h before it (exactly 30 days is still valid).
7. A required, not stale result with ``platelets_g_l`` or ``inr`` null gives
   ``hemostasis_incomplete`` as an ``info`` finding: shown on the time-out page so that the
   radiologist reads the lab sheet, but it changes no verdict (the domain's finding table is
   closed: a code it does not list must not turn a ``go`` into a ``review``). aPTT is
   optional (its own finding is only a review).
8. Fluindione before a high-risk procedure: ``medication_unknown`` (not in SIR) plus the INR
   rules of decision 4.
9. Low-risk procedures: anticoagulants and antiplatelets (fluindione and aspirin included) are
   continued: one ``medication_continued`` info naming them. NSAIDs, whatever the procedure:
   one ``nsaid_no_hold`` info. An unrecognised drug: ``medication_unknown`` for any procedure.
10. One finding per code: drugs sharing a code are named together in its detail.
11. ``pregnancy_unknown`` only for sex F, ``childbearing_age_min <= age <= max`` (inclusive)
    and ``pregnant`` null; ``pregnancy`` whenever ``pregnant`` is true.
12. Allergy findings follow the order of the table, not the declaration order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NamedTuple

from .case import ALLERGIES, PROCEDURES, Case, Medication
from .details import render_detail
from .drugs import INN_CLASS, normalise_drug
from .explain import FINDING_SPECS, PARIS, FindingSpec
from .settings import DEFAULT, DEFAULT_HOLDS, SafetySettings

__all__ = ["CheckResult", "Finding", "bleeding_risk", "check", "is_high_risk"]


class Finding(NamedTuple):
    """One finding (immutable). A NamedTuple rather than a frozen dataclass: the check builds
    millions of them and a frozen dataclass costs about five times more to construct."""

    code: str
    severity: str  # no_go | review | info
    rule_id: str
    source: str
    text_fr: str
    text_en: str
    args: tuple[Any, ...] = ()  # the facts behind the detail (drugs, values, dates)

    def detail(self, lang: str = "fr") -> str:
        return render_detail(self.code, lang, self.args)


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
                {"code": f.code, "severity": f.severity, "detail": f.detail(lang)}
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
    return (spec.code, spec.severity, spec.rule_id, spec.source, spec.text_fr, spec.text_en)


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


# ------------------------------------------------------------------ compiled settings


@dataclass(frozen=True, slots=True)
class _Hold:
    td: timedelta
    td_low: timedelta
    hours: float
    hours_low: float
    threshold: float | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    settings: SafetySettings
    disabled: frozenset[str]
    max_age: timedelta
    max_age_days: int
    plt_high: float
    plt_low: float
    inr_high: float
    inr_low: float
    aptt: float
    age_min: int
    age_max: int
    holds: dict[str, _Hold]


def _compile(s: SafetySettings) -> _Compiled:
    holds: dict[str, _Hold] = {}
    # A key missing from a hand-built settings object falls back to the SIR default rather
    # than silently skipping the hold.
    # float(): a database adapter may hand over Decimals, which timedelta refuses.
    for key, rule in {**DEFAULT_HOLDS, **s.holds}.items():
        hours = float(rule.hours)
        low = hours if rule.hours_low_crcl is None else float(rule.hours_low_crcl)
        threshold = (
            None
            if rule.hours_low_crcl is None or rule.crcl_threshold is None
            else float(rule.crcl_threshold)
        )
        holds[key] = _Hold(timedelta(hours=hours), timedelta(hours=low), hours, low, threshold)
    return _Compiled(
        s,
        frozenset(s.disabled_procedures),
        timedelta(days=int(s.hemostasis_max_age_days)),
        int(s.hemostasis_max_age_days),
        float(s.platelets_min_high_risk),
        float(s.platelets_min_low_risk),
        float(s.inr_max_high_risk),
        float(s.inr_max_low_risk),
        float(s.aptt_ratio_max),
        int(s.childbearing_age_min),
        int(s.childbearing_age_max),
        holds,
    )


_COMPILED: dict[int, _Compiled] = {}
_DEFAULT_COMPILED = _compile(DEFAULT)


def _compiled(s: SafetySettings) -> _Compiled:
    c = _COMPILED.get(id(s))
    if c is None or c.settings is not s:
        if len(_COMPILED) > 64:
            _COMPILED.clear()
        c = _COMPILED[id(s)] = _compile(s)
    return c


# -------------------------------------------------------------------------------- check

_ZERO = timedelta(0)

_Named = tuple[tuple[str, str], ...]
_Scan = tuple[
    _Named,  # VKAs
    tuple[tuple[str, str, float, datetime, datetime], ...],  # held: name, INN, h, last, safe
    _Named,  # aspirin before a high-risk procedure
    tuple[tuple[str, str | None], ...],  # unknown (and fluindione before high risk)
    _Named,  # continued (low-risk procedure)
    _Named,  # NSAIDs
    datetime | None,  # earliest safe time (UTC)
]
_NO_MEDICATIONS: _Scan = ((), (), (), (), (), (), None)


def _elapsed(later: datetime, earlier: datetime) -> timedelta:
    """Absolute time between two aware datetimes.

    Python subtracts the wall clocks when both share one tzinfo object; that is exact for
    fixed offsets (what ``parse_case`` builds) but wrong across a DST change for a zone such as
    ZoneInfo("Europe/Paris") (what the database adapter may build): convert those to UTC.
    """
    tz = later.tzinfo
    if tz is earlier.tzinfo and type(tz) is not timezone:
        return later.astimezone(UTC) - earlier.astimezone(UTC)
    return later - earlier


_VKA_INNS = frozenset(inn for inn, cls in INN_CLASS.items() if cls == "vka")


def _scan_medications(
    case: Case, meds: tuple[Medication, ...], high: bool, c: _Compiled, sched: datetime
) -> _Scan:
    """Sort the declared drugs by what they trigger (see the module docstring, 3, 8, 9)."""
    vka: list[tuple[str, str]] = []
    held: list[tuple[str, str, float, datetime, datetime]] = []
    aspirin: list[tuple[str, str]] = []
    unknown: list[tuple[str, str | None]] = []
    continued: list[tuple[str, str]] = []
    nsaid: list[tuple[str, str]] = []
    earliest: datetime | None = None
    crcl = case.patient.creatinine_clearance_ml_min
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
            if cls == "lmwh":
                key = "lmwh_prophylactic" if m.dose == "prophylactic" else "lmwh_therapeutic"
            else:
                key = inn
            h = c.holds[key]
            if h.threshold is None or (crcl is not None and crcl >= h.threshold):
                td, hours = h.td, h.hours
            else:
                td, hours = h.td_low, h.hours_low
            last = m.last_dose_at
            if _elapsed(sched, last) < td:  # exactly the interval is allowed
                safe_at = last.astimezone(UTC) + td
                held.append((m.drug, inn, hours, last, safe_at))
                if earliest is None or safe_at > earliest:
                    earliest = safe_at
    return (
        tuple(vka),
        tuple(held),
        tuple(aspirin),
        tuple(unknown),
        tuple(continued),
        tuple(nsaid),
        earliest,
    )


def check(
    case: Case, settings: SafetySettings = DEFAULT, at: datetime | None = None
) -> CheckResult:
    """Run every rule of the safety check on one case.

    ``at`` is the start time used when the case has no ``scheduled_at`` (default: now).
    """
    c = _DEFAULT_COMPILED if settings is DEFAULT else _compiled(settings)
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
    vka, held, aspirin, unknown, continued, nsaid, earliest = scan

    hemo = case.hemostasis
    required = high or bool(vka)
    if hemo is None:
        if required:
            findings.append(_finding("hemostasis_missing", (high, vka)))
    else:
        if required:
            sampled = hemo.sampled_at
            age = _elapsed(sched, sampled)
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
            else:
                missing: tuple[str, ...] = ()
                if hemo.platelets_g_l is None:
                    missing = ("platelets",)
                if hemo.inr is None:
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

    if held:
        findings.append(_finding("medication_hold", held))
    if aspirin:
        findings.append(_finding("antiplatelet_review", (aspirin,)))
    if unknown:
        findings.append(_finding("medication_unknown", unknown))

    patient = case.patient
    if patient.pregnant is True:
        findings.append(_F_PREGNANCY)
    elif patient.pregnant is None and patient.sex == "F" and c.age_min <= patient.age <= c.age_max:
        findings.append(_F_PREGNANCY_UNKNOWN)
    if case.fever:
        findings.append(_F_FEVER)
    if case.current_infection:
        findings.append(_F_INFECTION)
    if case.skin_lesion_at_site:
        findings.append(_F_SKIN)
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
