"""Where the installation keeps its files.

Every path goes through here so tests can redirect the whole app to a
temporary folder (set PHARMACY_DESK_HOME) and never touch a user's data.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "PharmacyDesk"
RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def data_dir() -> Path:
    home = os.environ.get("PHARMACY_DESK_HOME")
    if home:
        return Path(home)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "pharmacy.db"


def resource(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)
