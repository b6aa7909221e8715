"""The detail of one finding: its short text, then the facts that triggered it (drugs,
values, dates in Europe/Paris), in French or English."""

from __future__ import annotations

from datetime import datetime

from geste import PARIS

from .drugs import INN_LABELS_FR
from .explain import FINDING_SPECS, PROCEDURE_LABELS

__all__ = ["drug_label", "render_detail"]


def _num(x: float, lang: str) -> str:
    text = f"{x:g}"
    return text if lang == "en" else text.replace(".", ",")


def _when(dt: datetime, lang: str) -> str:
    local = dt.astimezone(PARIS)
    if lang != "en":
        return local.strftime("%d/%m/%Y à %H:%M")
    return local.strftime("%Y-%m-%d %H:%M") + " (Paris)"


def _hours(h: float, lang: str) -> str:
    text = f"{_num(h, lang)} h"
    if h >= 72 and h % 24 == 0:
        days = int(h // 24)
        text += f" ({days} jours)" if lang != "en" else f" ({days} days)"
    return text


def drug_label(name: str, inn: str | None, lang: str) -> str:
    """The name as declared, with the INN when it differs ("Eliquis (apixaban)")."""
    if inn is None:
        return name
    inn_label = inn if lang == "en" else INN_LABELS_FR[inn]
    return name if name.casefold() in (inn, inn_label) else f"{name} ({inn_label})"


def _names(items: tuple[tuple[str, str | None], ...], lang: str) -> str:
    return ", ".join(drug_label(n, i, lang) for n, i in items)


def render_detail(code: str, lang: str, args: tuple[object, ...], text: str | None = None) -> str:
    """The human detail of one finding: its text (default: the table's), then the facts
    that triggered it."""
    if text is None:
        spec = FINDING_SPECS[code]
        text = spec.text_fr if lang != "en" else spec.text_en
    if not args:
        return text
    extra = _EXTRA[code](lang, args)
    if extra.startswith("("):  # "Text (facts)."
        return f"{text[:-1]} {extra}."
    return f"{text} {extra}"


def _x_procedure(lang: str, args: tuple[object, ...]) -> str:
    fr, en = PROCEDURE_LABELS[str(args[0])]
    return f"({fr})" if lang != "en" else f"({en})"


def _x_missing(lang: str, args: tuple[object, ...]) -> str:
    high, vka = args
    assert isinstance(vka, tuple)
    reasons = []
    if high:
        reasons.append(
            "geste à haut risque hémorragique" if lang != "en" else "high-risk procedure"
        )
    if vka:
        names = _names(vka, lang)
        reasons.append(f"traitement par AVK : {names}" if lang != "en" else f"on a VKA: {names}")
    return "(" + "; ".join(reasons) + ")"


def _x_stale(lang: str, args: tuple[object, ...]) -> str:
    kind, sampled, days = args
    assert isinstance(sampled, datetime)
    when = _when(sampled, lang)
    if lang != "en":
        if kind == "after":
            return f"Prélevé le {when}, après l'heure prévue du geste."
        if kind == "vka":
            return (
                f"Prélevé le {when} ; sous AVK, l'INR doit dater du jour du geste ou de la veille."
            )
        return f"Prélevé le {when}, plus de {days} jours avant le geste."
    if kind == "after":
        return f"Sampled {when}, after the scheduled start."
    if kind == "vka":
        return (
            f"Sampled {when}; on a VKA, the INR must be from the procedure day or the day before."
        )
    return f"Sampled {when}, more than {days} days before the procedure."


def _x_incomplete(lang: str, args: tuple[object, ...]) -> str:
    labels = {"platelets": ("plaquettes", "platelets"), "inr": ("INR", "INR")}
    names = [labels[str(a)][0 if lang != "en" else 1] for a in args]
    joined = ", ".join(names)
    return f"Non renseigné : {joined}." if lang != "en" else f"Missing: {joined}."


def _x_below(lang: str, args: tuple[object, ...]) -> str:
    value, limit = args
    assert isinstance(value, float | int) and isinstance(limit, float | int)
    if lang != "en":
        return f"{_num(value, lang)} G/L (minimum {_num(limit, lang)} G/L)."
    return f"{_num(value, lang)} G/L (minimum {_num(limit, lang)} G/L)."


def _x_above(lang: str, args: tuple[object, ...]) -> str:
    value, limit = args
    assert isinstance(value, float | int) and isinstance(limit, float | int)
    return f"{_num(value, lang)} (maximum {_num(limit, lang)})."


def _x_hold(lang: str, args: tuple[object, ...]) -> str:
    parts = []
    for item in args:
        assert isinstance(item, tuple)
        name, inn, hours, last, safe_at = item
        label = drug_label(name, inn, lang)
        if lang != "en":
            parts.append(
                f"{label} : dernière prise le {_when(last, lang)}, arrêt de "
                f"{_hours(hours, lang)} requis, geste possible à partir du {_when(safe_at, lang)}."
            )
        else:
            parts.append(
                f"{label}: last dose {_when(last, lang)}, a {_hours(hours, lang)} hold is "
                f"required, procedure possible from {_when(safe_at, lang)}."
            )
    return " ".join(parts)


def _x_names(lang: str, args: tuple[object, ...]) -> str:
    items = args[0]
    assert isinstance(items, tuple)
    names = _names(items, lang)
    return f"Médicament(s) : {names}." if lang != "en" else f"Drug(s): {names}."


def _x_unknown(lang: str, args: tuple[object, ...]) -> str:
    parts = []
    for item in args:
        assert isinstance(item, tuple)
        name, inn = item
        if inn == "fluindione":
            parts.append(
                f"{drug_label(name, inn, lang)} : hors table SIR, contrôle de l'INR requis."
                if lang != "en"
                else f"{drug_label(name, inn, lang)}: not in the SIR table, INR check required."
            )
        else:
            parts.append(f"« {name} »." if lang != "en" else f'"{name}".')
    return " ".join(parts)


def _x_renal(lang: str, args: tuple[object, ...]) -> str:
    items, crcl = args
    assert isinstance(items, tuple) and isinstance(crcl, float | int)
    names = _names(items, lang)
    if lang != "en":
        return f"Clairance {_num(crcl, lang)} mL/min ; médicament(s) : {names}."
    return f"Clearance {_num(crcl, lang)} mL/min; drug(s): {names}."


_EXTRA = {
    "procedure_not_performed": _x_procedure,
    "hemostasis_missing": _x_missing,
    "hemostasis_stale": _x_stale,
    "hemostasis_incomplete": _x_incomplete,
    "platelets_low": _x_below,
    "inr_high": _x_above,
    "aptt_high": _x_above,
    "medication_hold": _x_hold,
    "antiplatelet_review": _x_names,
    "medication_unknown": _x_unknown,
    "medication_continued": _x_names,
    "nsaid_no_hold": _x_names,
    "renal_review": _x_renal,
}
