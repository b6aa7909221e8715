"""django-otp's admin pages of a TOTP device that does not exist: 404, not 500."""

from __future__ import annotations

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["config", "qrcode"])
def test_missing_device_pages_are_404(admin_user, page):
    response = client_for(admin_user).get(f"/admin/otp_totp/totpdevice/999999/{page}/")
    assert response.status_code == 404
