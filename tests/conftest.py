"""Shared fixtures. Every test runs headless and against a temporary home."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches the user's real data folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("PHARMACY_DESK_HOME", str(home))
    return home


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "pharmacy.db"


@pytest.fixture
def conn(db_path: Path):
    from db import open_db

    connection = open_db(db_path)
    yield connection
    connection.close()
