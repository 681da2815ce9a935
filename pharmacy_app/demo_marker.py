"""Whether a database is the built-in demo: `build_demo` marks it in app_settings.

Kept apart from pharmacy_app.demo (the generator and its data) so the window
can ask on every load without importing the generator.
"""

from __future__ import annotations

import sqlite3

DEMO_AS_OF_KEY = "demo_as_of"


def holds_demo(conn: sqlite3.Connection) -> bool:
    """True for the demo database (its as-of day is recorded under DEMO_AS_OF_KEY)."""
    try:
        row = conn.execute("SELECT 1 FROM app_settings WHERE key = ?", (DEMO_AS_OF_KEY,)).fetchone()
    except sqlite3.DatabaseError:
        return False
    return row is not None
