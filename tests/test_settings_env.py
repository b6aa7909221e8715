import os
import subprocess
import sys

import pytest

from geste.env import EnvError, env_bool, env_int, env_list


def _import_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GESTE_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import geste.settings"],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_settings_refuse_to_start_without_a_secret_key_outside_debug() -> None:
    result = _import_settings({})
    assert result.returncode != 0
    assert "GESTE_SECRET_KEY must be set" in result.stderr


def test_settings_start_with_a_secret_key() -> None:
    result = _import_settings({"GESTE_SECRET_KEY": "x" * 50})
    assert result.returncode == 0, result.stderr


def test_debug_allows_the_development_key() -> None:
    assert _import_settings({"GESTE_DEBUG": "1"}).returncode == 0


def test_typed_readers_reject_malformed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(EnvError, match="X_BOOL"):
        env_bool("X_BOOL")
    monkeypatch.setenv("X_INT", "12a")
    with pytest.raises(EnvError, match="X_INT"):
        env_int("X_INT", 3)
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env_list("X_LIST", []) == ["a", "b", "c"]
    monkeypatch.setenv("X_BOOL", "off")
    assert env_bool("X_BOOL", True) is False


def test_time_zone_and_language(settings: object) -> None:
    from django.conf import settings as s

    assert s.USE_TZ is True
    assert s.TIME_ZONE == "Europe/Paris"
    assert s.LANGUAGE_CODE == "fr"
    assert [code for code, _ in s.LANGUAGES] == ["fr", "en"]
