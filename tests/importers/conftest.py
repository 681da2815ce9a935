"""Fixtures for the importer tests: a database with the institution and catalogue."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from importer_fixtures import setup_institution_and_catalogue  # noqa: E402


@pytest.fixture
def ready(conn):
    """A connection whose database has the institution and the test catalogue."""
    setup_institution_and_catalogue(conn)
    return conn


@pytest.fixture
def fresh_db(tmp_path):
    """Open another empty database (for comparing what two files produce)."""
    from db import open_db

    opened = []

    def make(name: str, *, catalogue: bool = True):
        conn = open_db(tmp_path / f"{name}.db")
        opened.append(conn)
        if catalogue:
            setup_institution_and_catalogue(conn)
        return conn

    yield make
    for c in opened:
        c.close()
