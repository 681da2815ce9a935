"""Delivery companies' names stored in NFKC, as imports now store them.

Why: SUP-1…SUP-6 count per company, and 国药控股（海南） (full-width brackets)
and 国药控股(海南) were two companies — a product could show a false sixth
delivery company (SUP-6). From this version the purchases importer and the
supply tickets store the NFKC form; this step converts the names stored
before, once per distinct name. The summaries see the changed lines through
their update triggers and are patched or rebuilt on the next figures.
"""

from __future__ import annotations

import unicodedata

from sqlite_utils import Database

NAME = "0015_supplier_names_nfkc"
SYNCED: tuple[str, ...] = ()


def apply(db: Database) -> None:
    conn = db.conn
    for table in ("purchase_lines", "supply_tickets"):
        names = [r[0] for r in conn.execute(f"SELECT DISTINCT supplier FROM {table}")]
        changes = [
            (normal, name)
            for name in names
            if name and (normal := unicodedata.normalize("NFKC", name).strip()) != name
        ]
        conn.executemany(f"UPDATE {table} SET supplier = ? WHERE supplier = ?", changes)
