"""0007's summary triggers, rewritten so an UPSERT that fires them cannot fail.

Why: SQLite lets the conflict policy of the statement that fires a trigger
override the `OR IGNORE` of the trigger's own INSERTs. Saving a product
through the catalogue's upsert (`INSERT … ON CONFLICT (code) DO UPDATE`)
that turned its VBP flag on or off fired `ps_products_vbp`, whose second
`INSERT OR IGNORE` of the same code then aborted the save with "UNIQUE
constraint failed: summary_dirty_codes.code" — the product dialog could not
mark a drug as VBP. The same would hit any trigger noting a code or order
that was already noted.

These triggers insert only what is not there yet (one row per distinct
value, NOT IN the table), so there is no conflict to resolve whatever the
outer statement's policy. WHEN clauses are unchanged: importers/bulk.py
recognises the batch-skipping ones by them.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from db.steps.m0007_purchase_summary import _LINE_COLUMNS

NAME = "0012_summary_triggers_upsert_safe"
SYNCED: tuple[str, ...] = ()


def _note(table: str, column: str, *values: str, when: str = "") -> str:
    """INSERT the distinct `values` into `table` that it does not hold yet."""
    union = " UNION ".join(f"SELECT {v} AS v" for v in values)
    condition = f"v NOT IN (SELECT {column} FROM {table})"
    if when:
        condition = f"({when}) AND {condition}"
    return f"INSERT INTO {table} ({column}) SELECT v FROM ({union}) WHERE {condition};"


def _orders(*values: str) -> str:
    return _note("summary_dirty_orders", "order_id", *values)


def _codes(*values: str, when: str = "") -> str:
    return _note("summary_dirty_codes", "code", *values, when=when)


def _order_triggers(prefix: str, table: str, update_of: str) -> dict[str, str]:
    """Insert, update and delete triggers noting the orders a write to `table` touches."""
    return {
        f"{prefix}_insert": f"""CREATE TRIGGER {prefix}_insert AFTER INSERT ON {table}
WHEN new.batch_id IS NULL
BEGIN
    {_orders("new.order_id")}
END""",
        f"{prefix}_update": f"""CREATE TRIGGER {prefix}_update AFTER UPDATE OF {update_of} ON {table}
WHEN new.batch_id IS old.batch_id OR new.batch_id IS NULL
BEGIN
    {_orders("old.order_id", "new.order_id")}
END""",
        f"{prefix}_delete": f"""CREATE TRIGGER {prefix}_delete AFTER DELETE ON {table}
BEGIN
    {_orders("old.order_id")}
END""",
    }


TRIGGERS = {
    **_order_triggers("ps_lines", "purchase_lines", _LINE_COLUMNS),
    **_order_triggers("ps_payments", "payments", "order_id, line_no, amount_fen, paid_on"),
    "ps_products_insert": f"""CREATE TRIGGER ps_products_insert AFTER INSERT ON products
BEGIN
    UPDATE summary_state SET value = value + 1 WHERE key = 'products_gen';
    {_codes("new.code", when="new.is_vbp")}
END""",
    "ps_products_delete": f"""CREATE TRIGGER ps_products_delete AFTER DELETE ON products
BEGIN
    UPDATE summary_state SET value = value + 1 WHERE key = 'products_gen';
    {_codes("old.code", when="old.is_vbp")}
END""",
    "ps_products_vbp": f"""CREATE TRIGGER ps_products_vbp AFTER UPDATE OF code, is_vbp ON products
WHEN new.is_vbp IS NOT old.is_vbp OR new.code IS NOT old.code
BEGIN
    {_codes("old.code", "new.code")}
END""",
}


def replace_triggers(conn: sqlite3.Connection) -> None:
    """Drop 0007's versions of TRIGGERS and create these (also after a summary re-creation)."""
    for name, sql in TRIGGERS.items():
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        conn.execute(sql)


def apply(db: Database) -> None:
    replace_triggers(db.conn)
