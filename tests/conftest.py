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


DEMO_DAY = __import__("datetime").date(2026, 11, 23)
"""The day the shared demo database is built for (its demo_as_of)."""


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in demo data set as of DEMO_DAY, built once per test session.

    Read-only: a test that writes takes a copy (`demo_copy`), so tests never
    see each other's changes. Building it once instead of once per module
    saves seconds per page-test file.
    """
    from pharmacy_app.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(path, today=DEMO_DAY)
    return path


@pytest.fixture
def demo_copy(demo_file: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database (with its WAL files, if any)."""
    import shutil

    for source in demo_file.parent.glob(demo_file.name + "*"):
        shutil.copy(source, tmp_path / source.name)
    return tmp_path / demo_file.name
