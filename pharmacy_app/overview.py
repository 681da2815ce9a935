"""What the database holds at a glance: the home page's counts.

Kept out of ui/ so the figures come from the domain layer like every other
number the window shows.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    institution_name: str | None
    institution_code: str | None
    level: str | None
    products_active: int
    products_inactive: int
    essential: int
    vbp: int
    consumables: int
    purchase_lines: int
    agreements: int


def load_summary(conn: sqlite3.Connection) -> Summary:
    """Counts for the home page; runs on the worker."""
    from pharmacy_app.institutions import current_institution

    inst = current_institution(conn)
    row = conn.execute(
        """SELECT
             coalesce(sum(active = 1), 0),
             coalesce(sum(active = 0), 0),
             coalesce(sum(active = 1 AND is_essential = 1 AND kind = 'drug'), 0),
             coalesce(sum(active = 1 AND is_vbp = 1), 0),
             coalesce(sum(active = 1 AND kind = 'consumable'), 0)
           FROM products"""
    ).fetchone()
    lines = conn.execute("SELECT count(*) FROM purchase_lines").fetchone()[0]
    agreements = conn.execute("SELECT count(*) FROM agreements").fetchone()[0]
    return Summary(
        institution_name=inst.name if inst else None,
        institution_code=inst.code if inst else None,
        level=inst.level if inst else None,
        products_active=row[0],
        products_inactive=row[1],
        essential=row[2],
        vbp=row[3],
        consumables=row[4],
        purchase_lines=lines,
        agreements=agreements,
    )
