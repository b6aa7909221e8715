"""Drug names: normalisation to the INN, drug classes, French brand table.

Patients and nurses write "Kardégic 75 mg", "ELIQUIS", "Préviscan"; the safety check matches
on the lower-case INN. Matching is exact after normalisation (lower case, accents stripped,
dosage and galenic form removed): a name we do not know returns ``None`` and the check raises
``medication_unknown`` (never a guess on a first word: "héparine de bas poids moléculaire"
must not be read as unfractionated heparin, whose hold is shorter).

Revision 2 of the table: nadroparin (Fraxiparine) joins the low-molecular-weight heparins, and
subcutaneous calcium heparin (Calciparine, "héparine calcique") has its own INN key,
``heparin calcium``, held by dose: it is never read as the intravenous heparin row. A heparin
written with a subcutaneous route ("héparine 5000 UI SC") is read as that subcutaneous row too.
Drugs absent from the table are deliberately unknown: a radiologist reviews them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "DRUG_CHOICES",
    "INN_CLASS",
    "INN_LABELS_FR",
    "drug_class",
    "normalise_drug",
    "simplify",
]

# INN (English, lower case) -> class.
INN_CLASS: Mapping[str, str] = MappingProxyType(
    {
        "warfarin": "vka",
        "acenocoumarol": "vka",
        "fluindione": "vka",
        "heparin": "heparin",
        "heparin calcium": "heparin",  # unfractionated, subcutaneous: its own hold by dose
        "enoxaparin": "lmwh",
        "dalteparin": "lmwh",
        "tinzaparin": "lmwh",
        "nadroparin": "lmwh",
        "fondaparinux": "fondaparinux",
        "apixaban": "doac",
        "rivaroxaban": "doac",
        "dabigatran": "doac",
        "edoxaban": "doac",
        "clopidogrel": "antiplatelet",
        "ticagrelor": "antiplatelet",
        "prasugrel": "antiplatelet",
        "aspirin": "aspirin",
        "ibuprofen": "nsaid",
        "naproxen": "nsaid",
        "ketoprofen": "nsaid",
        "diclofenac": "nsaid",
    }
)

# French INN spelling, for labels and finding details.
INN_LABELS_FR: Mapping[str, str] = MappingProxyType(
    {
        "warfarin": "warfarine",
        "acenocoumarol": "acénocoumarol",
        "fluindione": "fluindione",
        "heparin": "héparine non fractionnée",
        "heparin calcium": "héparine calcique",
        "enoxaparin": "énoxaparine",
        "dalteparin": "daltéparine",
        "tinzaparin": "tinzaparine",
        "nadroparin": "nadroparine",
        "fondaparinux": "fondaparinux",
        "apixaban": "apixaban",
        "rivaroxaban": "rivaroxaban",
        "dabigatran": "dabigatran",
        "edoxaban": "édoxaban",
        "clopidogrel": "clopidogrel",
        "ticagrelor": "ticagrélor",
        "prasugrel": "prasugrel",
        "aspirin": "aspirine",
        "ibuprofen": "ibuprofène",
        "naproxen": "naproxène",
        "ketoprofen": "kétoprofène",
        "diclofenac": "diclofénac",
    }
)

# Brand names (as written on French boxes) -> INN. Several are sold in other countries too.
_BRANDS: dict[str, tuple[str, ...]] = {
    "warfarin": ("Coumadine", "Coumadin"),
    "acenocoumarol": ("Sintrom", "Minisintrom"),
    "fluindione": ("Préviscan",),
    "heparin": ("Héparine Choay", "Héparine sodique"),
    "heparin calcium": ("Calciparine",),
    "enoxaparin": ("Lovenox", "Inhixa"),
    "dalteparin": ("Fragmine",),
    "tinzaparin": ("Innohep",),
    "nadroparin": ("Fraxiparine", "Fraxodi"),
    "fondaparinux": ("Arixtra",),
    "apixaban": ("Eliquis",),
    "rivaroxaban": ("Xarelto",),
    "dabigatran": ("Pradaxa",),
    "edoxaban": ("Lixiana",),
    "clopidogrel": ("Plavix",),
    "ticagrelor": ("Brilique", "Brilinta"),
    "prasugrel": ("Efient", "Effient"),
    "aspirin": (
        "Kardégic",
        "Aspégic",
        "Aspirine",
        "Aspirine Upsa",
        "Aspirine du Rhône",
        "Aspirine Protect",
        "Resitune",
    ),
    "ibuprofen": ("Advil", "Nurofen", "Spedifen", "Antarène"),
    "naproxen": ("Apranax", "Naprosyne", "Aleve"),
    "ketoprofen": ("Profénid", "Bi-Profénid", "Ketum"),
    "diclofenac": ("Voltarène",),
}

# Other spellings of the INNs (French, salts, acetylsalicylic acid...).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "warfarin": ("warfarine", "warfarine sodique", "warfarin sodium"),
    "acenocoumarol": ("acénocoumarol",),
    "heparin": (
        "héparine",
        "héparine non fractionnée",
        "HNF",
        "unfractionated heparin",
        "héparine sodique",
    ),
    "heparin calcium": (
        "héparine calcique",
        "calcium heparin",
        "héparine calcique sous-cutanée",
        "héparine sous-cutanée",
        "subcutaneous heparin",
    ),
    "enoxaparin": ("énoxaparine", "énoxaparine sodique", "enoxaparin sodium"),
    "dalteparin": ("daltéparine", "daltéparine sodique", "dalteparin sodium"),
    "tinzaparin": ("tinzaparine", "tinzaparine sodique", "tinzaparin sodium"),
    "nadroparin": ("nadroparine", "nadroparine calcique", "nadroparin calcium"),
    "fondaparinux": ("fondaparinux sodique", "fondaparinux sodium"),
    "dabigatran": ("dabigatran étexilate", "dabigatran etexilate"),
    "edoxaban": ("édoxaban",),
    "ticagrelor": ("ticagrélor",),
    "aspirin": (
        "aspirine",
        "acide acétylsalicylique",
        "acetylsalicylic acid",
        "acétylsalicylate de lysine",
        "acetylsalicylate de lysine",
    ),
    "ibuprofen": ("ibuprofène",),
    "naproxen": ("naproxène", "naproxène sodique", "naproxen sodium"),
    "ketoprofen": ("kétoprofène",),
    "diclofenac": ("diclofénac", "diclofénac sodique", "diclofenac sodium"),
}

# Words that say how much, how and when the drug is taken, not what it is. Text after the
# first digit may hold only these (and numbers); anything else ("Eliquis 5 mg et Kardégic")
# makes the name unknown, so a second drug written on the same line is never lost.
_FORM_WORDS = frozenset(
    (
        "mg",
        "g",
        "ug",
        "\u03bcg",
        "mcg",
        "ui",
        "iu",
        "u",
        "ml",
        "cp",
        "cpr",
        "comprime",
        "comprimes",
        "pellicule",
        "pellicules",
        "gelule",
        "gelules",
        "sachet",
        "sachets",
        "sol",
        "solution",
        "buv",
        "buvable",
        "inj",
        "injectable",
        "seringue",
        "seringues",
        "stylo",
        "sc",
        "iv",
        "po",
        "lp",
        "x",
        "fois",
        "par",
        "jour",
        "jours",
        "j",
        "h",
        "matin",
        "midi",
        "soir",
        "tablet",
        "tablets",
        "capsule",
        "capsules",
        "daily",
        "le",
        "au",
        "a",
        "coucher",
        "demi",
        "dose",
        "doses",
        "anti",  # "UI anti-Xa" on low-molecular-weight heparin boxes
        "xa",
    )
)
_WORD = re.compile(r"[^\W\d_]+")
_SPACES = re.compile(r"[\s_]+")
_TRAILING_PUNCT = " .,;:/-()[]+"


def simplify(name: str) -> str:
    """Lower case, accents stripped, spaces collapsed (no dosage handling)."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").replace("®", "").replace("™", "")
    return _SPACES.sub(" ", text).strip()


def _strip_dosage(text: str) -> str | None:
    """ "kardegic 75 mg" -> "kardegic"; None when the text after the dose is not posology."""
    for i, ch in enumerate(text):
        if ch.isdigit():
            head, tail = text[:i], text[i:]
            break
    else:
        head, tail = text, ""
    if any(w not in _FORM_WORDS for w in _WORD.findall(tail)):
        return None
    words = head.strip(_TRAILING_PUNCT).split()
    while words and words[-1].strip(_TRAILING_PUNCT) in _FORM_WORDS:
        words.pop()
    return " ".join(words).strip(_TRAILING_PUNCT)


def _build_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for inn in INN_CLASS:
        table[inn] = inn
    for source in (_SYNONYMS, _BRANDS):
        for inn, names in source.items():
            for name in names:
                key = simplify(name)
                if table.get(key, inn) != inn:  # pragma: no cover - guards the tables
                    raise AssertionError(f"{name!r} maps to two INNs")
                table[key] = inn
    return table


_LOOKUP: dict[str, str] = _build_lookup()
_CACHE: dict[str, str | None] = {}
_CACHE_MAX = 20_000


# A route written beside a heparin: subcutaneous, hence the subcutaneous row (never the IV one).
_SUBCUTANEOUS = frozenset(("sc", "s/c", "sous-cutanee", "sous-cutane", "subcutaneous"))
_ROUTE_WORD = re.compile(r"[^\s\d.,;:()\[\]+]+")


def normalise_drug(name: str) -> str | None:
    """The INN (lower case, English) of a drug name or brand, or ``None`` if unknown."""
    try:
        return _CACHE[name]
    except KeyError:
        pass
    text = simplify(name)
    inn = _LOOKUP.get(text)
    if inn is None:
        stripped = _strip_dosage(text)
        if stripped:
            inn = _LOOKUP.get(stripped)
    if inn == "heparin" and not _SUBCUTANEOUS.isdisjoint(_ROUTE_WORD.findall(text)):
        inn = "heparin calcium"
    if len(_CACHE) >= _CACHE_MAX:  # free text from many patients: keep memory bounded
        _CACHE.clear()
    _CACHE[name] = inn
    return inn


def drug_class(name: str) -> str | None:
    """vka, heparin, lmwh, fondaparinux, doac, antiplatelet, aspirin, nsaid, or None."""
    inn = normalise_drug(name)
    return None if inn is None else INN_CLASS[inn]


def _choices() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for inn, label in INN_LABELS_FR.items():
        out.append((inn, label[0].upper() + label[1:]))
        for brand in _BRANDS.get(inn, ()):
            out.append((brand, f"{brand} ({label})"))
    # Brands sold outside France only are left out of the French drop-down.
    # "Aspirine" as a brand would duplicate the INN entry.
    hidden = {"Coumadin", "Brilinta", "Effient", "Aleve", "Aspirine"}
    out = [c for c in out if c[0] not in hidden]
    return sorted(out, key=lambda c: simplify(c[1]))


# (value, French label) for a questionnaire drop-down; every value normalises to its INN.
DRUG_CHOICES: list[tuple[str, str]] = _choices()
