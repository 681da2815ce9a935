"""Stock counts become synced records (SYNC-1): a UUID, a version and change-log rows.

Why: 0010 kept the counts behind SH-1's days of cover as plain local rows,
but RULES.md SYNC-1 makes no exception — every change lands in the change
log, and a lead hospital reading a member's shortage report needs the count
it was judged on. The table is rebuilt (SQLite cannot add a UNIQUE column
with a generated default), each existing count gets its UUID and an
'insert' entry in the change log, as if logged when it was written.

(The information liaison stays an app setting: it is a default the form
fills in, and every report keeps its own copy, which is synced.)
"""

from __future__ import annotations

from sqlite_utils import Database

from db.migrations import NOW_SQL, RECORD_COLUMNS, change_log_triggers

NAME = "0013_stock_counts_synced"
SYNCED = ("stock_counts",)


def apply(db: Database) -> None:
    db.executescript(
        f"""
CREATE TABLE stock_counts_synced ({RECORD_COLUMNS},
    product_code TEXT NOT NULL,
    counted_at TEXT NOT NULL,
    qty REAL NOT NULL CHECK (qty >= 0),
    counted_by TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT ''
);
INSERT INTO stock_counts_synced (id, product_code, counted_at, qty, counted_by, source)
    SELECT id, product_code, counted_at, qty, counted_by, source FROM stock_counts ORDER BY id;
DROP TABLE stock_counts;
ALTER TABLE stock_counts_synced RENAME TO stock_counts;
CREATE INDEX stock_counts_product ON stock_counts(product_code, counted_at);
INSERT INTO change_log (at, table_name, row_uuid, version, op)
    SELECT {NOW_SQL}, 'stock_counts', uuid, version, 'insert' FROM stock_counts ORDER BY id;
"""
        + change_log_triggers("stock_counts")
    )
