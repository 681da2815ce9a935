"""Numbered schema migrations, applied in order, each in its own transaction.

sqlite-utils records applied migrations in `_sqlite_migrations`; the schema
version is the number of the newest applied migration. Never edit a migration
that has shipped: add a new one.

SYNC-1: every synced table carries a stable `uuid` and a `version`, and
triggers write every insert, update and delete to `change_log` in the same
transaction as the change itself, so no code path can forget to log.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATION_SET = "pharmacy_desk"
migrations = Migrations(MIGRATION_SET)

# A random (version 4) UUID computed inside SQLite, so bulk loads need no
# per-row Python work to stamp identities.
UUID_SQL = (
    "(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
    "substr(lower(hex(randomblob(2))), 2) || '-' || "
    "substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || "
    "lower(hex(randomblob(6))))"
)
NOW_SQL = "(strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime'))"

RECORD_COLUMNS = f"""
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE DEFAULT {UUID_SQL},
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL DEFAULT {NOW_SQL}"""

# Frozen: the tables migration 0001 logged. Later migrations add their own.
SYNCED_TABLES_0001 = (
    "institutions",
    "products",
    "essential_lists",
    "essential_list_entries",
    "agreements",
    "purchase_lines",
    "payments",
)
SYNCED_TABLES = (
    "institutions",
    "products",
    "essential_lists",
    "essential_list_entries",
    "agreements",
    "purchase_lines",
    "payments",
    "policy_profiles",
    "name_mappings",
    "agreement_emergencies",
    "agreement_exemptions",
)


def change_log_triggers(table: str) -> str:
    """Triggers that copy every change of `table` into change_log (SYNC-1)."""
    parts = []
    for op, row in (("insert", "new"), ("update", "new"), ("delete", "old")):
        parts.append(
            f"""
CREATE TRIGGER {table}_log_{op} AFTER {op.upper()} ON {table}
BEGIN
    INSERT INTO change_log (at, table_name, row_uuid, version, op)
    VALUES ({NOW_SQL}, '{table}', {row}.uuid, {row}.version, '{op}');
END;"""
        )
    return "\n".join(parts)


@migrations(name="0001_initial")
def m0001_initial(db: Database) -> None:
    db.executescript(
        f"""
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    table_name TEXT NOT NULL,
    row_uuid TEXT NOT NULL,
    version INTEGER NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete'))
);

CREATE TABLE app_settings (
    key TEXT PRIMARY KEY,
    value TEXT
);

CREATE TABLE institutions ({RECORD_COLUMNS},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('grassroots', 'secondary', 'tertiary', 'specialty')),
    remote INTEGER NOT NULL DEFAULT 0,
    lead_code TEXT
);

CREATE TABLE products ({RECORD_COLUMNS},
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL DEFAULT 'drug' CHECK (kind IN ('drug', 'consumable')),
    generic_name TEXT NOT NULL,
    dosage_form TEXT NOT NULL DEFAULT '',
    specification TEXT NOT NULL DEFAULT '',
    package TEXT NOT NULL DEFAULT '',
    conversion INTEGER NOT NULL DEFAULT 1 CHECK (conversion > 0),
    manufacturer TEXT NOT NULL DEFAULT '',
    is_essential INTEGER NOT NULL DEFAULT 0,
    is_vbp INTEGER NOT NULL DEFAULT 0,
    vbp_batch TEXT NOT NULL DEFAULT '',
    consistency INTEGER NOT NULL DEFAULT 0,
    originator INTEGER NOT NULL DEFAULT 0,
    negotiated INTEGER NOT NULL DEFAULT 0,
    price TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    udi TEXT,
    pinyin TEXT NOT NULL DEFAULT '',
    content_hash TEXT
);

CREATE TABLE essential_lists ({RECORD_COLUMNS},
    name TEXT NOT NULL,
    edition TEXT NOT NULL DEFAULT '',
    effective_from TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    builtin INTEGER NOT NULL DEFAULT 0,
    imported_at TEXT NOT NULL DEFAULT {NOW_SQL}
);

CREATE TABLE essential_list_entries ({RECORD_COLUMNS},
    list_id INTEGER NOT NULL REFERENCES essential_lists(id) ON DELETE CASCADE,
    seq TEXT NOT NULL DEFAULT '',
    generic_name TEXT NOT NULL,
    dosage_form TEXT NOT NULL DEFAULT '',
    specification TEXT,
    category TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX essential_list_entries_list ON essential_list_entries(list_id);

CREATE TABLE agreements ({RECORD_COLUMNS},
    institution_code TEXT NOT NULL,
    batch TEXT NOT NULL,
    generic TEXT NOT NULL,
    selected_price TEXT NOT NULL,
    agreed_qty REAL NOT NULL CHECK (agreed_qty >= 0),
    last_year_qty REAL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    content_hash TEXT,
    UNIQUE (institution_code, batch, generic, start_date)
);

CREATE TABLE agreement_products (
    id INTEGER PRIMARY KEY,
    agreement_id INTEGER NOT NULL REFERENCES agreements(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('selected', 'backup', 'substitute')),
    UNIQUE (agreement_id, code, role)
);
CREATE INDEX agreement_products_code ON agreement_products(code);

CREATE TABLE purchase_lines ({RECORD_COLUMNS},
    order_id TEXT NOT NULL,
    line_no TEXT NOT NULL,
    institution_code TEXT NOT NULL,
    code TEXT NOT NULL,
    qty REAL NOT NULL,
    price TEXT,
    amount_fen INTEGER NOT NULL,
    ordered_at TEXT NOT NULL,
    responded_at TEXT,
    delivered_at TEXT,
    supplier TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL DEFAULT 'online' CHECK (channel IN ('online', 'offline')),
    batch_id INTEGER,
    content_hash TEXT,
    UNIQUE (order_id, line_no)
);
CREATE INDEX purchase_lines_code_time ON purchase_lines(code, ordered_at);
CREATE INDEX purchase_lines_time ON purchase_lines(ordered_at);

CREATE TABLE payments ({RECORD_COLUMNS},
    order_id TEXT NOT NULL,
    line_no TEXT NOT NULL DEFAULT '',
    amount_fen INTEGER NOT NULL,
    paid_on TEXT NOT NULL,
    batch_id INTEGER,
    UNIQUE (order_id, line_no, paid_on, amount_fen)
);
CREATE INDEX payments_order ON payments(order_id);

CREATE TABLE import_batches (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE DEFAULT {UUID_SQL},
    kind TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    rows_total INTEGER NOT NULL,
    inserted INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    at TEXT NOT NULL DEFAULT {NOW_SQL}
);
"""
        + "\n".join(change_log_triggers(t) for t in SYNCED_TABLES_0001)
    )


@migrations(name="0002_policy_and_name_mappings")
def m0002_policy_and_name_mappings(db: Database) -> None:
    """Policy profiles (thresholds as versioned data) and confirmed name mappings.

    A profile row is immutable once used: editing a profile saves a new
    version, so every stored result can name the exact thresholds it used.
    `name_mappings` remembers what the user confirmed once, e.g. that the
    catalogue's 盐酸二甲双胍 is the list's 二甲双胍 (ED-2 matching).
    """
    db.executescript(
        f"""
CREATE TABLE policy_profiles ({RECORD_COLUMNS},
    profile_id TEXT NOT NULL,
    profile_version INTEGER NOT NULL,
    name TEXT NOT NULL,
    region TEXT NOT NULL DEFAULT '',
    params TEXT NOT NULL,
    builtin INTEGER NOT NULL DEFAULT 0,
    UNIQUE (profile_id, profile_version)
);

CREATE TABLE name_mappings ({RECORD_COLUMNS},
    catalogue_name TEXT NOT NULL UNIQUE,
    list_name TEXT NOT NULL,
    confirmed INTEGER NOT NULL DEFAULT 1,
    note TEXT NOT NULL DEFAULT ''
);
"""
        + change_log_triggers("policy_profiles")
        + change_log_triggers("name_mappings")
    )


# Tables whose rows a bulk import writes with a batch_id; their insert and
# update triggers leave those rows to the importer's set-based change log.
BULK_TABLES_0003 = ("purchase_lines", "payments")


@migrations(name="0003_bulk_change_log")
def m0003_bulk_change_log(db: Database) -> None:
    """Bulk imports write their own change_log rows, set-based (SYNC-1 still holds).

    The per-row AFTER INSERT/UPDATE triggers of purchase_lines and payments
    were the largest single cost of a bulk import (1,000,000 purchase lines:
    upsert 16 s with them, 8.6 s without). They are replaced by triggers that
    skip rows written by a bulk import, and the importer
    (pharmacy_app/importers/staging.py) logs its batch with INSERT … SELECT in
    the same transaction, so every change still lands in change_log:

    - INSERT is logged by the trigger unless the row carries a batch_id
      (only a bulk import sets one on insert);
    - UPDATE is logged unless it sets a new, non-NULL batch_id (a bulk
      re-import); an update that keeps the batch_id, or clears it, is logged;
    - DELETE is always logged.

    Batch ids are never reused while rows still carry them (import_batches
    rows are only deleted together with the lines, by the demo rebuild).

    The index purchase_lines_time (ordered_at) is dropped; purchase_lines_code_time
    stays. Measured on 1,000,000 lines of one year (2 shared cores, so ±20 %):

    | schema                                   | upsert | ED-4/5 period queries |
    | ---------------------------------------- | ------ | --------------------- |
    | 0002 (both indexes, per-row triggers)    | 16 s   | 2.1-3.2 s             |
    | 0003 triggers, ordered_at index kept     | 13.8 s | same                  |
    | 0003 triggers, ordered_at index dropped  | 7.7 s  | 2.1-2.3 s (table scan)|
    | … plus covering (institution_code,       | 10.9 s | 1.6-1.7 s             |
    |   ordered_at, code, amount_fen, qty)     |        |                       |

    ("ED-4/5 period queries" = both calls of indicators.essential.
    _amounts_by_month_and_code, this year and last.) The ordered_at index did
    not make the period queries faster than a plain scan: the year's rows are
    most of the table and each one was a random table lookup. A covering index
    saves ~0.5 s per indicators run but costs ~3 s per million imported lines;
    the remaining time is SQLite's GROUP BY over a million rows, which no
    index removes, so none is added.
    """
    statements = []
    for table in BULK_TABLES_0003:
        statements.append(
            f"""
DROP TRIGGER {table}_log_insert;
DROP TRIGGER {table}_log_update;
CREATE TRIGGER {table}_log_insert AFTER INSERT ON {table}
WHEN new.batch_id IS NULL
BEGIN
    INSERT INTO change_log (at, table_name, row_uuid, version, op)
    VALUES ({NOW_SQL}, '{table}', new.uuid, new.version, 'insert');
END;
CREATE TRIGGER {table}_log_update AFTER UPDATE ON {table}
WHEN new.batch_id IS old.batch_id OR new.batch_id IS NULL
BEGIN
    INSERT INTO change_log (at, table_name, row_uuid, version, op)
    VALUES ({NOW_SQL}, '{table}', new.uuid, new.version, 'update');
END;"""
        )
    statements.append("DROP INDEX IF EXISTS purchase_lines_time;")
    db.executescript("\n".join(statements))



@migrations(name="0004_indicator_indexes")
def m0004_indicator_indexes(db: Database) -> None:
    """purchase_lines_code_time covers the ED-4/ED-5 queries.

    The index keeps its name and its leading (code, ordered_at) — every query
    that used it still can — and gains institution_code, amount_fen and qty,
    so indicators.essential reads a drug's lines of a period as one index
    range with no table lookups (products as the outer loop, GROUP BY p.id:
    no sort either). No index is added: the import pays for the wider
    entries of an index it already maintained, not for another B-tree.

    Measured (2 shared cores, noisy): `run_import` of 1,000,000 purchase lines
    (bench/import_bench.py's CSV) 31.6 / 21.3 s with the old (code, ordered_at)
    index, 24.2 / 22.9 s with this one — within the noise, at most ~1.5 s.
    The essential section of `compute_indicators` on 100,000 products and
    1,000,000 lines (bench/indicators_bench.py) went from ~4-7 s to ~1.1 s.
    """
    db.executescript(
        """
DROP INDEX IF EXISTS purchase_lines_code_time;
CREATE INDEX purchase_lines_code_time
    ON purchase_lines(code, ordered_at, institution_code, amount_fen, qty);"""
    )

@migrations(name="0005_agreement_emergencies_exemptions")
def m0005_agreement_emergencies_exemptions(db: Database) -> None:
    """Declared supply emergencies (AV-7, AV-8) and exempt 通用名 (AV-9), seed 001 §14.

    They are dated records, not flags on an agreement, because an emergency
    covers a span of days and an exemption starts on the day it is declared:
    figures as of an earlier date must not see them.
    """
    db.executescript(
        f"""
CREATE TABLE agreement_emergencies ({RECORD_COLUMNS},
    institution_code TEXT NOT NULL,
    batch TEXT NOT NULL DEFAULT '',
    generic TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    confirmed_by TEXT NOT NULL DEFAULT '',
    CHECK (end_date >= start_date),
    UNIQUE (institution_code, batch, generic, start_date)
);
CREATE TABLE agreement_exemptions ({RECORD_COLUMNS},
    institution_code TEXT NOT NULL,
    batch TEXT NOT NULL DEFAULT '',
    generic TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN
        ('key_monitoring', 'public_health_event', 'guideline_change', 'other')),
    declared_on TEXT NOT NULL,
    agreement_start TEXT,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (institution_code, batch, generic, declared_on)
);
"""
        + change_log_triggers("agreement_emergencies")
        + change_log_triggers("agreement_exemptions")
    )


@migrations(name="0006_calendar_days")
def m0006_calendar_days(db: Database) -> None:
    """The official working-day calendar for SUP-4 deadlines (pharmacy_app/workdays.py).

    One row per statutory holiday or weekend make-up working day; a year is
    covered once it has any row. Reference data, not synced: every install
    loads the bundled years and the user imports later State Council schedules.
    """
    db.executescript(
        """
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'makeup_workday')),
    name TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT ''
);
"""
    )


def _register_steps() -> tuple[str, ...]:
    """Register db/steps/m*.py in file-name order; returns their synced tables."""
    import importlib
    import pkgutil

    from db import steps

    synced: list[str] = []
    names = sorted(m.name for m in pkgutil.iter_modules(steps.__path__) if m.name.startswith("m"))
    for module_name in names:
        module = importlib.import_module(f"db.steps.{module_name}")
        migrations(name=module.NAME)(module.apply)
        synced.extend(getattr(module, "SYNCED", ()))
    return tuple(synced)


SYNCED_TABLES = SYNCED_TABLES + _register_steps()


def known_migrations() -> list[str]:
    return [m.name for m in migrations._migrations]


SCHEMA_VERSION = len(known_migrations())
