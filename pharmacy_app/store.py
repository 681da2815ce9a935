"""Opening the installation's database with its bundled reference data.

`db.open_db` knows only the schema; this adds what the domain needs present
in every database (the built-in policy profile, the bundled national
essential-medicines list), so the window, the command line and the demo all
see the same starting point.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from db import open_db


def open_store(path: str | Path) -> sqlite3.Connection:
    from pharmacy_app.essential_lists import ensure_builtin_lists
    from pharmacy_app.policy import ensure_builtin_profile
    from pharmacy_app.workdays import ensure_bundled_calendar

    conn = open_db(path)
    ensure_builtin_profile(conn)
    ensure_builtin_lists(conn)
    ensure_bundled_calendar(conn)
    return conn
