"""Derived purchase summaries for the indicators (pharmacy_app/purchase_summary.py).

Why: on 1,000,000 purchase lines the indicators re-aggregated every line on
every call (essential ~0.7 s, suppliers 1.5-5 s, payments 7-20 s). These
tables hold, per line, what the rules need precomputed (response/delivery
hours, PAY-0 paid amounts at the fixed cut-offs) and, per month, the sums
the figures add up; `purchase_summary.ensure_fresh` keeps them in step with
purchase_lines, payments and products.

Derived data, not synced (SYNC-1 covers the source tables). Staleness:

- bulk imports stamp batch_id and add an import_batches row; the refresh
  finds their rows by batch id, and new rows by id above the last seen;
- every other write (the demo, tests, the window) fires the triggers below,
  which note the order (or product code) touched in a dirty table.

The triggers mirror 0003's bulk rule (a write that stamps a new batch_id is
left to the batch scan), so a bulk import pays nothing per row.
"""

from __future__ import annotations

import re
import sqlite3

from sqlite_utils import Database

NAME = "0007_purchase_summary"
SYNCED: tuple[str, ...] = ()

_LINE_COLUMNS = ("order_id, institution_code, code, qty, amount_fen, ordered_at, "
                 "responded_at, delivered_at, supplier, channel, line_no")

MONTH_COLUMNS = ",\n    ".join(
    f"{kind}{m:02d} INTEGER NOT NULL DEFAULT 0" for kind in "aqn" for m in range(1, 13))

SCHEMA = f"""
CREATE TABLE summary_state (
    key TEXT PRIMARY KEY,
    value
);
INSERT INTO summary_state (key, value) VALUES ('built', 0), ('products_gen', 0), ('schema', 5);

CREATE TABLE summary_dirty_orders (order_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE summary_dirty_codes (code TEXT PRIMARY KEY) WITHOUT ROWID;

-- One row per purchase line: what the rules need of it, precomputed.
CREATE TABLE purchase_facts (
    institution_code TEXT NOT NULL,
    ordered_at TEXT NOT NULL,
    id INTEGER NOT NULL,
    order_id TEXT NOT NULL,
    code TEXT NOT NULL,
    month TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    qty_u INTEGER NOT NULL,          -- qty in millionths (exact sums)
    supplier TEXT NOT NULL,
    offline INTEGER NOT NULL,
    resp_b INTEGER NOT NULL,         -- hours to response, rounded up; see purchase_summary
    deliv_b INTEGER NOT NULL,        -- hours to delivery, same coding
    delivered_day TEXT,
    delivered_month TEXT,
    vbp INTEGER NOT NULL,
    paid_final INTEGER NOT NULL,     -- PAY-0 with every payment
    paid_w INTEGER NOT NULL,         -- PAY-0 by delivery day + pay_window_days
    paid_deadline INTEGER NOT NULL,  -- PAY-0 by the settlement deadline of the delivery month
    last_paid_on TEXT,               -- the last payment date that changed the line's PAY-0
    PRIMARY KEY (institution_code, ordered_at, id)
) WITHOUT ROWID;
CREATE INDEX purchase_facts_order ON purchase_facts(order_id);

-- ED-4 / ED-5: per institution, year and product, each month of ordering in
-- its own columns (a = amount_fen, q = qty in millionths, n = lines), so a
-- year to date is one row per product.
CREATE TABLE ps_code_year (
    institution_code TEXT NOT NULL,
    year TEXT NOT NULL,
    code TEXT NOT NULL,
    {MONTH_COLUMNS},
    PRIMARY KEY (institution_code, year, code)
) WITHOUT ROWID;

-- SUP-1/2/3: line counts per supplier and month by hours bucket
-- (kind 1 response hours, 2 delivery hours; each kind counts every line once).
CREATE TABLE ps_supplier_month (
    institution_code TEXT NOT NULL,
    month TEXT NOT NULL,
    supplier TEXT NOT NULL,
    kind INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    lines INTEGER NOT NULL,
    PRIMARY KEY (institution_code, month, supplier, kind, bucket)
) WITHOUT ROWID;

-- PAY-4 per month of ordering; PAY-3 per month of ordering and day of delivery.
CREATE TABLE ps_month (
    institution_code TEXT NOT NULL,
    month TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    offline_fen INTEGER NOT NULL,
    lines INTEGER NOT NULL,
    PRIMARY KEY (institution_code, month)
) WITHOUT ROWID;
CREATE TABLE ps_pay3 (
    institution_code TEXT NOT NULL,
    month TEXT NOT NULL,
    delivered_day TEXT NOT NULL,
    due_fen INTEGER NOT NULL,
    paid_w INTEGER NOT NULL,
    lines INTEGER NOT NULL,
    PRIMARY KEY (institution_code, month, delivered_day)
) WITHOUT ROWID;

-- PAY-2: VBP lines per delivery day, and per delivery month and order.
CREATE TABLE ps_pay2_day (
    institution_code TEXT NOT NULL,
    delivered_day TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    paid_deadline INTEGER NOT NULL,
    paid_final INTEGER NOT NULL,
    lines INTEGER NOT NULL,
    PRIMARY KEY (institution_code, delivered_day)
) WITHOUT ROWID;
CREATE TABLE ps_pay2_orders (
    institution_code TEXT NOT NULL,
    month TEXT NOT NULL,
    order_id TEXT NOT NULL,
    supplier TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    paid_deadline INTEGER NOT NULL,
    paid_final INTEGER NOT NULL,
    last_paid_on TEXT,
    PRIMARY KEY (institution_code, month, order_id)
) WITHOUT ROWID;
CREATE INDEX ps_pay2_orders_order ON ps_pay2_orders(order_id);

-- ED-4 / ED-5: the drug flags of the catalogue by code, rebuilt when products change.
CREATE TABLE ps_product_flags (
    code TEXT PRIMARY KEY,
    id INTEGER NOT NULL,
    is_essential INTEGER NOT NULL,
    originator INTEGER NOT NULL,
    negotiated INTEGER NOT NULL,
    is_vbp INTEGER NOT NULL,
    conversion INTEGER NOT NULL
) WITHOUT ROWID;

-- ED-2: the active drugs grouped by raw (通用名, 剂型, 规格), matched once a group.
CREATE TABLE ps_catalogue_raw (
    seq INTEGER PRIMARY KEY,
    generic_name TEXT NOT NULL,
    dosage_form TEXT NOT NULL,
    specification TEXT,
    codes TEXT NOT NULL
);

-- ED-1: the 品规 of the active catalogue, rebuilt when products change.
CREATE TABLE ps_catalogue_specs (
    seq INTEGER PRIMARY KEY,
    key_name TEXT NOT NULL,
    key_form TEXT NOT NULL,
    key_spec TEXT NOT NULL,
    generic_name TEXT NOT NULL,
    dosage_form TEXT NOT NULL,
    specification TEXT,
    essential INTEGER NOT NULL,
    codes TEXT NOT NULL
);

CREATE TRIGGER ps_lines_insert AFTER INSERT ON purchase_lines
WHEN new.batch_id IS NULL
BEGIN
    INSERT OR IGNORE INTO summary_dirty_orders (order_id) VALUES (new.order_id);
END;
CREATE TRIGGER ps_lines_update AFTER UPDATE OF {_LINE_COLUMNS} ON purchase_lines
WHEN new.batch_id IS old.batch_id OR new.batch_id IS NULL
BEGIN
    INSERT OR IGNORE INTO summary_dirty_orders (order_id) VALUES (old.order_id);
    INSERT OR IGNORE INTO summary_dirty_orders (order_id) VALUES (new.order_id);
END;
CREATE TRIGGER ps_lines_delete AFTER DELETE ON purchase_lines
BEGIN
    INSERT OR IGNORE INTO summary_dirty_orders (order_id) VALUES (old.order_id);
END;

CREATE TRIGGER ps_payments_insert AFTER INSERT ON payments
WHEN new.batch_id IS NULL
BEGIN
    INSERT OR IGNORE INTO summary_dirty_orders (order_id) VALUES (new.order_id);
END;
CREATE TRIGGER ps_payments_update AFTER UPDATE OF order_id, line_no, amount_fen, paid_on
ON payments
WHEN new.batch_id IS old.batch_id OR new.batch_id IS NULL
BEGIN
    INSERT OR IGNORE INTO summary_dirty_orders (order_id) VALUES (old.order_id);
    INSERT OR IGNORE INTO summary_dirty_orders (order_id) VALUES (new.order_id);
END;
CREATE TRIGGER ps_payments_delete AFTER DELETE ON payments
BEGIN
    INSERT OR IGNORE INTO summary_dirty_orders (order_id) VALUES (old.order_id);
END;

CREATE TRIGGER ps_products_insert AFTER INSERT ON products
BEGIN
    UPDATE summary_state SET value = value + 1 WHERE key = 'products_gen';
    INSERT OR IGNORE INTO summary_dirty_codes (code) SELECT new.code WHERE new.is_vbp;
END;
CREATE TRIGGER ps_products_delete AFTER DELETE ON products
BEGIN
    UPDATE summary_state SET value = value + 1 WHERE key = 'products_gen';
    INSERT OR IGNORE INTO summary_dirty_codes (code) SELECT old.code WHERE old.is_vbp;
END;
CREATE TRIGGER ps_products_update AFTER UPDATE OF code, kind, generic_name, dosage_form,
    specification, is_essential, active, is_vbp, originator, negotiated, conversion ON products
BEGIN
    UPDATE summary_state SET value = value + 1 WHERE key = 'products_gen';
END;
CREATE TRIGGER ps_products_vbp AFTER UPDATE OF code, is_vbp ON products
WHEN new.is_vbp IS NOT old.is_vbp OR new.code IS NOT old.code
BEGIN
    INSERT OR IGNORE INTO summary_dirty_codes (code) VALUES (old.code);
    INSERT OR IGNORE INTO summary_dirty_codes (code) VALUES (new.code);
END;
"""


def statements() -> list[str]:
    """SCHEMA as single statements (a trigger body's semicolons kept inside it)."""
    out: list[str] = []
    pending = ""
    for part in SCHEMA.split(";"):
        pending += part + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                out.append(pending.strip())
            pending = ""
    return out


# Every table and trigger SCHEMA creates (purchase_summary re-creates them
# when a file holds an older layout of these derived tables).
OBJECTS = sorted(set(re.findall(r"CREATE (?:TABLE|TRIGGER) (\w+)", SCHEMA)))


def apply(db: Database) -> None:
    """Create the empty summaries; the first indicators call builds them."""
    db.executescript(SCHEMA)
