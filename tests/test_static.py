"""Static files: WhiteNoise serves the vendored files from the finders, with no collected
directory to make first and no warning about one."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

from django.test import Client


def test_vendored_static_file_served_without_any_warning() -> None:
    with warnings.catch_warnings():
        # The middleware is built on the first request: any warning there (such as WhiteNoise's
        # "No directory at: .../var/static/") fails the test.
        warnings.simplefilter("error")
        response = Client().get("/static/geste/geste.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")


def _static_root(env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GESTE_")}
    clean.update({"GESTE_DEBUG": "1", **env})
    code = "from geste import settings; print(settings.STATIC_ROOT)"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_static_root_is_only_set_on_request() -> None:
    assert _static_root({}) == "None"
    assert _static_root({"GESTE_STATIC_ROOT": "/srv/geste/static"}) == "/srv/geste/static"
