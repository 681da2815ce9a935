"""Opening the installation's database and running code in a transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from db.migrations import MIGRATION_SET, SCHEMA_VERSION, known_migrations, migrations


class DatabaseTooNew(RuntimeError):
    """The file was written by a newer Pharmacy Desk; opening it could damage it."""


class NotOurDatabase(RuntimeError):
    """The file is not a Pharmacy Desk database (another program's, or not SQLite at all).

    Refused before anything is written: migrating it would add our tables to
    someone else's data, and the window would then fill it with the demo.
    """


def open_db(path: str | Path, *, migrate: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) the database at `path`, in WAL mode, migrated.

    The connection is in autocommit mode: writes go through `transaction()`,
    so every write is explicit and atomic.
    """
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=True)
    conn.row_factory = sqlite3.Row
    try:
        check_ours(conn, path)
    except BaseException:
        conn.close()
        raise
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    check_schema(conn)
    if migrate:
        migrations.apply(Database(conn))
    return conn


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='_sqlite_migrations'"
    ).fetchone()
    if not exists:
        return []
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set=? ORDER BY id",
            (MIGRATION_SET,),
        )
    ]


def schema_version(conn: sqlite3.Connection) -> int:
    """Number of the newest migration applied to this file (0 for a new file)."""
    return len(applied_migrations(conn))


def check_ours(conn: sqlite3.Connection, path: Path) -> None:
    """NotOurDatabase unless the file is empty or holds Pharmacy Desk's migrations."""
    try:
        tables = [r[0] for r in conn.execute(  # tables, views, triggers, indexes: anything
            "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")]
    except sqlite3.DatabaseError as exc:
        if "not a database" not in str(exc).lower():
            raise
        raise NotOurDatabase(
            f"{path}：不是药事台的数据库（这不是 SQLite 数据库文件），未作任何修改。"
            "请用 --db 指定药事台的数据库文件。") from None
    if tables and not applied_migrations(conn):
        shown = "、".join(sorted(tables)[:5]) + ("等" if len(tables) > 5 else "")
        raise NotOurDatabase(
            f"{path}：不是药事台的数据库（其中是其他程序的数据：{shown}），未作任何修改。"
            "请用 --db 指定药事台的数据库文件，或一个新文件名。")


def check_schema(conn: sqlite3.Connection) -> None:
    """Refuse a file that has migrations this build does not know."""
    unknown = [m for m in applied_migrations(conn) if m not in known_migrations()]
    if unknown:
        raise DatabaseTooNew(
            f"数据库由更新版本的药事台创建（未知迁移：{', '.join(unknown)}；"
            f"本程序支持的结构版本为 {SCHEMA_VERSION}）。请升级程序后再打开。"
        )


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception.

    IMMEDIATE takes the write lock up front so a long import cannot fail
    half-way with 'database is locked'.
    """
    if conn.in_transaction:
        # Nested use joins the outer transaction: the outer one commits.
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        # SQLite has already rolled back after some errors (SQLITE_FULL, an
        # I/O error): a ROLLBACK then would hide the real error behind
        # "cannot rollback - no transaction is active".
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
