"""Clinical inputs that cannot lie (issue 10, point 6): uploads checked by content, no date in
the future, pregnancy never pre-set and asked where the engine asks; the reopened questionnaire
shows the last answers and a new one keeps the history (point 5)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from geste.patients.forms import DeclarationForm, LabResultForm, MedicationForm
from geste.patients.models import Declaration
from geste.patients.selectors import asks_pregnancy, lab_duplicates
from geste.patients.services import lab_result_record
from geste.patients.uploads import validate_upload
from tests.conftest import client_for
from tests.pathway.factories import declare

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF"


def _file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.mark.parametrize("data", [PNG, JPEG, PDF])
def test_real_files_pass_and_names_are_sanitised(data: bytes) -> None:
    f = validate_upload(_file("../../etc/mon bilan été;rm.PDF", data))
    assert "/" not in f.name and " " not in f.name and ";" not in f.name
    assert f.name.endswith({PNG: ".png", JPEG: ".jpg", PDF: ".pdf"}[data])


@pytest.mark.parametrize(
    "data",
    [
        b"hello, I am text pretending to be a PDF",
        b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>",
        b"%PDF-1.4\n1 0 obj << /#4A#53 (app.alert(1)) >>",  # /JS written with #xx escapes
        b"MZ\x90\x00",  # an executable
    ],
)
def test_text_named_pdf_and_active_pdfs_are_refused(data: bytes) -> None:
    with pytest.raises(ValidationError):
        validate_upload(_file("bilan.pdf", data))


def test_size_is_capped(settings) -> None:  # type: ignore[no-untyped-def]
    settings.GESTE_UPLOAD_MAX_MB = 10
    big = PDF + b"0" * (12 * 1024 * 1024)
    with pytest.raises(ValidationError, match="10 Mo"):
        validate_upload(_file("bilan.pdf", big))


def test_lab_form_refuses_a_fake_pdf_and_a_future_sample() -> None:
    later = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    form = LabResultForm(
        {"sampled_at": later, "platelets_g_l": "250"},
        {"document": _file("bilan.pdf", b"not a pdf at all")},
    )
    assert not form.is_valid()
    assert "document" in form.errors and "sampled_at" in form.errors


def test_no_last_dose_in_the_future() -> None:
    later = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    form = MedicationForm({"drug": "apixaban", "last_dose_at": later})
    assert not form.is_valid() and "last_dose_at" in form.errors


@pytest.mark.django_db
def test_duplicate_lab_entries_are_flagged(alice, technologist) -> None:  # type: ignore[no-untyped-def]
    at = timezone.now() - timedelta(days=1)
    lab_result_record(patient=alice, actor=technologist, values={"sampled_at": at, "inr": 1.0})
    assert lab_duplicates(alice) == []
    again = lab_result_record(
        patient=alice, actor=technologist, values={"sampled_at": at, "inr": 1.0}
    )
    assert lab_duplicates(alice) == [again]


@pytest.mark.django_db
def test_pregnancy_asked_where_the_engine_asks(alice, bob) -> None:  # type: ignore[no-untyped-def]
    today = date(2026, 3, 9)
    alice.birth_date = date(1990, 5, 1)
    assert asks_pregnancy(alice, today)  # F, 12-50
    bob.sex = "M"
    assert not asks_pregnancy(bob, today)
    bob.sex = "X"
    assert asks_pregnancy(bob, today) == (12 <= bob.age_on(today) <= 50)
    alice.birth_date = date(1960, 1, 1)
    assert not asks_pregnancy(alice, today)
    assert "pregnant" not in DeclarationForm(asks_pregnancy=False).fields
    # Never pre-set, even when an earlier answer is given as initial.
    form = DeclarationForm(initial={"pregnant": "no"}, asks_pregnancy=True)
    assert "pregnant" not in form.initial and form["pregnant"].value() is None


@pytest.mark.django_db
def test_reopened_questionnaire_shows_last_answers_and_keeps_history(alice) -> None:  # type: ignore[no-untyped-def]
    declare(
        alice,
        timezone.now() - timedelta(days=2),
        allergies=["latex"],
        allergy_details="gants en latex : plaques rouges",
        pregnant=False,
    )
    client = client_for(alice.user)
    page = client.get(reverse("portal:questionnaire")).content.decode()
    assert "gants en latex : plaques rouges" in page
    assert re.search(r'value="latex"[^>]*checked', page)
    assert not re.search(r'name="pregnant"[^>]*checked', page)  # never pre-set
    answers = {
        "pregnant": "unknown",
        "takes_anticoagulant": "no",
        "allergies": ["latex"],
        "allergy_details": "gants en latex : plaques rouges",
        "fever": "no",
        "current_infection": "no",
        "skin_lesion_at_site": "no",
        "med-TOTAL_FORMS": "3",
        "med-INITIAL_FORMS": "0",
    }
    assert client.post(reverse("portal:questionnaire"), answers).status_code == 302
    assert Declaration.objects.filter(patient=alice).count() == 2  # the first one kept


@pytest.mark.django_db
def test_technologist_list_asks_without_a_preset_answer(alice, bob, radiologist, technologist):  # type: ignore[no-untyped-def]
    from geste.pathway.models import RequestState
    from tests.pathway.factories import book, make_request

    alice.birth_date = date(1990, 5, 1)
    alice.save(update_fields=["birth_date"])
    bob.sex, bob.birth_date = "M", date(1990, 5, 1)
    bob.save(update_fields=["sex", "birth_date"])
    soon = timezone.now() + timedelta(minutes=30)
    hers = make_request(alice, state=RequestState.PROCEDURE_BOOKED, validated_by=radiologist)
    his = make_request(bob, state=RequestState.PROCEDURE_BOOKED, validated_by=radiologist)
    book(hers, soon, radiologist)
    book(his, soon + timedelta(hours=1), radiologist)
    client = client_for(technologist)
    page = client.get(reverse("staff:tech_worklist") + "?tout=1").content.decode()
    assert reverse("staff:pregnancy_check", args=[hers.pk]) in page
    assert reverse("staff:pregnancy_check", args=[his.pk]) not in page  # not asked of a man
    assert '<option value="" selected disabled>' in page  # nothing pre-set
    # Sent without choosing: nothing recorded.
    client.post(reverse("staff:pregnancy_check", args=[hers.pk]), {})
    hers.refresh_from_db()
    assert hers.pregnancy_checked_at is None


@pytest.mark.django_db
def test_referral_letter_and_key_images_use_the_same_check(settings) -> None:  # type: ignore[no-untyped-def]
    import io

    from PIL import Image

    from geste.pathway.forms import IntakeForm, KeyImageForm

    intake = IntakeForm({}, {"referral_letter": _file("courrier.pdf", b"just text, named pdf")})
    intake.is_valid()
    assert "contenu" in " ".join(intake.errors["referral_letter"])
    intake = IntakeForm({}, {"referral_letter": _file("a b/../c.txt", PDF)})
    intake.is_valid()
    assert "referral_letter" not in intake.errors
    assert intake.cleaned_data["referral_letter"].name == "c.pdf"

    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "PNG")
    image = buf.getvalue()
    form = KeyImageForm({"title": "vue de face"}, {"file": _file("image.png", image)})
    assert form.is_valid(), form.errors
    settings.GESTE_UPLOAD_MAX_MB = 0  # every file is then too big: the cap applies here too
    form = KeyImageForm({"title": "vue de face"}, {"file": _file("image.png", image)})
    assert not form.is_valid() and "Mo" in " ".join(form.errors["file"])


def test_no_lab_sample_after_the_procedure() -> None:
    procedure = timezone.now() - timedelta(hours=3)
    after = timezone.localtime(procedure + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    form = LabResultForm({"sampled_at": after, "inr": "1.0"}, not_after=procedure)
    assert not form.is_valid() and "postérieur au geste" in " ".join(form.errors["sampled_at"])
    before = timezone.localtime(procedure - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert LabResultForm({"sampled_at": before, "inr": "1.0"}, not_after=procedure).is_valid()
