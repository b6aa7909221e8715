"""Uploads in an S3 bucket (GESTE_STORAGE=s3), on either database: moto's S3 server on
loopback, the staff upload and download views of this process. The file goes to the bucket,
not to local disk, and comes back only through the authorised, audited view."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from geste.audit.models import AuditEvent
from geste.clinic.models import Procedure
from geste.pathway.models import ProcedureRequest, RequestState
from geste.patients.models import LabResult
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

BUCKET = "geste-test"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[Any]:
    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=BUCKET)
    client.endpoint = f"http://127.0.0.1:{port}"
    yield client
    server.stop()


@pytest.fixture
def s3_storage(s3_server: Any, settings: Any, tmp_path: Any) -> Iterator[Any]:
    settings.MEDIA_ROOT = tmp_path  # anything written locally would land here
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": s3_server.endpoint,
        "region_name": "us-east-1",
        "addressing_style": "path",
        "access_key": "test",
        "secret_key": "test",
        "default_acl": None,
        "file_overwrite": False,
    }
    storages = {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield s3_server


def test_a_lab_report_goes_to_the_bucket_and_back_through_the_view(
    s3_storage: Any, alice: Any, technologist: Any, tmp_path: Any
) -> None:
    assert type(storages["default"]).__name__ == "S3Storage"
    req = ProcedureRequest.objects.create(
        patient=alice,
        procedure=Procedure.objects.get(code="facet_infiltration"),
        state=RequestState.VALIDATED,
        validated_at=timezone.now(),
    )
    client = client_for(technologist)
    sampled = timezone.localtime() - timedelta(hours=1)
    upload = SimpleUploadedFile("bilan labo.pdf", PDF, content_type="application/pdf")
    response = client.post(
        reverse("staff:lab_entry", args=[req.pk]),
        {
            "sampled_at": sampled.strftime("%Y-%m-%dT%H:%M"),
            "platelets_g_l": 250,
            "document": upload,
        },
    )
    assert response.status_code == 302
    lab = LabResult.objects.get(patient=alice)
    key = lab.document.name
    assert key.startswith("labs/") and key.endswith("/bilan_labo.pdf")
    assert s3_storage.get_object(Bucket=BUCKET, Key=key)["Body"].read() == PDF
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing on local disk

    served = client.get(reverse("staff:lab_document", args=[lab.pk]))
    assert served.status_code == 200
    assert served.content == PDF
    assert served["Content-Type"] == "application/pdf"
    assert "no-store" in served["Cache-Control"]
    assert AuditEvent.objects.filter(action="document.downloaded", patient=alice).count() == 1


def test_a_second_file_of_the_same_name_does_not_replace_the_first(s3_storage: Any) -> None:
    from django.core.files.base import ContentFile

    first = default_storage.save("labs/same.pdf", ContentFile(PDF))
    second = default_storage.save("labs/same.pdf", ContentFile(PDF + b"%second"))
    assert first == "labs/same.pdf" and second != first
    assert default_storage.open(first).read() == PDF


def test_a_missing_object_is_a_404_not_an_error(
    s3_storage: Any, alice: Any, technologist: Any
) -> None:
    lab = LabResult.objects.create(
        patient=alice,
        sampled_at=timezone.now() - timedelta(days=1),
        platelets_g_l=200,
        document="labs/gone.pdf",
        entered_by=technologist,
    )
    response = client_for(technologist).get(reverse("staff:lab_document", args=[lab.pk]))
    assert response.status_code == 404
