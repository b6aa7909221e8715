"""Drug names: INN, brands, accents, dosages; the questionnaire drop-down."""

from __future__ import annotations

import pytest

from geste.rules.drugs import DRUG_CHOICES, INN_CLASS, drug_class, normalise_drug


@pytest.mark.parametrize(
    ("name", "inn"),
    [
        ("warfarin", "warfarin"),
        ("Warfarine", "warfarin"),
        ("Coumadine 2 mg", "warfarin"),
        ("Sintrom", "acenocoumarol"),
        ("Minisintrom 1 mg", "acenocoumarol"),
        ("Préviscan", "fluindione"),
        ("PREVISCAN 20 mg", "fluindione"),
        ("Lovenox 4000 UI/0,4 mL", "enoxaparin"),
        ("Énoxaparine sodique", "enoxaparin"),
        ("Fragmine", "dalteparin"),
        ("Innohep 10 000 UI anti-Xa/0,5 ml", "tinzaparin"),
        ("Arixtra 2,5 mg", "fondaparinux"),
        ("ELIQUIS", "apixaban"),
        ("Eliquis 2.5mg", "apixaban"),
        ("Xarelto 20 mg", "rivaroxaban"),
        ("Pradaxa 110 mg gélule", "dabigatran"),
        ("Lixiana 60 mg", "edoxaban"),
        ("Plavix®", "clopidogrel"),
        ("Brilique 90 mg", "ticagrelor"),
        ("Efient", "prasugrel"),
        ("Kardégic 75 mg", "aspirin"),
        ("kardegic", "aspirin"),
        ("Aspégic 100", "aspirin"),
        ("Aspirine du Rhône 500 mg", "aspirin"),
        ("acide acétylsalicylique", "aspirin"),
        ("Héparine Choay", "heparin"),
        ("héparine", "heparin"),
        ("héparine sodique", "heparin"),
        # revision 2: subcutaneous calcium heparin is its own INN key, never the IV row
        ("Calciparine", "heparin calcium"),
        ("CALCIPARINE 5000 UI/0,2 ml", "heparin calcium"),
        ("calciparine", "heparin calcium"),
        ("Héparine calcique", "heparin calcium"),
        ("HEPARINE CALCIQUE", "heparin calcium"),
        ("héparine 5000 UI SC", "heparin calcium"),
        ("héparine sous-cutanée", "heparin calcium"),
        # revision 2: nadroparin joins the LMWH row
        ("Fraxiparine", "nadroparin"),
        ("FRAXIPARINE 0,6 ml", "nadroparin"),
        ("Fraxodi", "nadroparin"),
        ("nadroparine calcique", "nadroparin"),
        # the brand table of the domain file, with accents and capitals either way
        ("Eliquis", "apixaban"),
        ("Xarelto", "rivaroxaban"),
        ("Kardégic", "aspirin"),
        ("KARDEGIC", "aspirin"),
        ("Previscan", "fluindione"),
        ("préviscan", "fluindione"),
        ("Plavix", "clopidogrel"),
        ("PLAVIX 75 mg", "clopidogrel"),
        ("Lovenox", "enoxaparin"),
        ("LOVENOX", "enoxaparin"),
        ("Innohep", "tinzaparin"),
        ("innohep", "tinzaparin"),
        ("Fragmine", "dalteparin"),
        ("FRAGMINE 5000 UI", "dalteparin"),
        ("Arixtra", "fondaparinux"),
        ("ARIXTRA", "fondaparinux"),
        ("Advil 400 mg", "ibuprofen"),
        ("Nurofen", "ibuprofen"),
        ("Apranax 550", "naproxen"),
        ("Profénid", "ketoprofen"),
        ("Bi-Profénid 100 mg LP", "ketoprofen"),
        ("Voltarène", "diclofenac"),
        ("  xarelto   15 mg  1 cp le soir ", "rivaroxaban"),
    ],
)
def test_known_names(name: str, inn: str) -> None:
    assert normalise_drug(name) == inn


@pytest.mark.parametrize(
    "name",
    [
        "paracétamol",
        "Doliprane 1000",
        "héparine s/c",  # a route we cannot read: unknown (a review), never the IV row
        "héparine de bas poids moléculaire",  # must not be read as unfractionated heparin
        "Eliquis 5 mg et Kardégic 75 mg",  # two drugs on one line: never keep only the first
        "Xarelto puis Eliquis",
        "x",
    ],
)
def test_unknown_names(name: str) -> None:
    assert normalise_drug(name) is None


def test_classes() -> None:
    assert {INN_CLASS[i] for i in ("warfarin", "acenocoumarol", "fluindione")} == {"vka"}
    assert drug_class("Lovenox") == "lmwh"
    assert drug_class("Eliquis") == "doac"
    assert drug_class("Plavix") == "antiplatelet"
    assert drug_class("Kardégic") == "aspirin"
    assert drug_class("Advil") == "nsaid"
    assert drug_class("Arixtra") == "fondaparinux"
    assert drug_class("Calciparine") == "heparin"  # unfractionated (scheduling holds it)
    assert drug_class("Fraxiparine") == "lmwh"
    assert drug_class("unknown") is None


def test_drug_choices_cover_every_inn_and_normalise() -> None:
    values = [v for v, _ in DRUG_CHOICES]
    assert len(values) == len(set(values))
    assert set(INN_CLASS) <= set(values)
    for value, label in DRUG_CHOICES:
        assert normalise_drug(value) is not None, value
        assert 1 <= len(value) <= 80 and label
    labels = dict(DRUG_CHOICES)
    assert labels["Kardégic"] == "Kardégic (aspirine)"
    assert labels["apixaban"] == "Apixaban"
    for brand in ("Coumadine", "Sintrom", "Minisintrom", "Préviscan", "Lovenox", "Fragmine"):
        assert brand in labels
    for brand in ("Innohep", "Arixtra", "Eliquis", "Xarelto", "Pradaxa", "Lixiana", "Plavix"):
        assert brand in labels
    for brand in ("Brilique", "Efient", "Aspégic", "Calciparine", "Héparine Choay", "Advil"):
        assert brand in labels
    for brand in ("Nurofen", "Apranax", "Profénid", "Voltarène", "Fraxiparine"):
        assert brand in labels
    assert labels["Calciparine"] == "Calciparine (héparine calcique)"
