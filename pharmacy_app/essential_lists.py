"""Essential-medicines lists as data: the bundled national list and the list in force (ED-2).

RULES.md ED-2 measures a hospital against "the list in force on the as-of
date": the 2018 edition until 2026-08-31, the 2026 edition (国卫药政发〔2026〕17号)
from 2026-09-01, or a list the user imported. Lists live in `essential_lists` /
`essential_list_entries` (migration 0001) whoever wrote them — this module
(bundled list) or the essential-list importer (a user's file) — so the rule
"greatest effective_from ≤ as-of, ties to the latest imported" is applied in
one place, here, over both.

Only the 2026 edition is bundled: the 2018 edition is not in the shared
reference data, so before 2026-09-01 there is no list until the user imports
one, and callers must say so (`no_list_message`) rather than fall back to the
2026 list, which was not yet in force.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db import transaction
from pharmacy_app.paths import RESOURCES

REFERENCE_DIR = RESOURCES / "reference"


@dataclass(frozen=True)
class BuiltinList:
    """A list shipped with the app (resources/reference/, see its README.md)."""

    name: str
    edition: str
    effective_from: str  # ISO date
    document: str
    file: Path
    # The official attachment the table was checked against (essential_check).
    official_pdf_url: str = ""
    official_pdf_sha256: str = ""

    def source_text(self) -> str:
        """Where the rows came from, with the file's digest so a stored list can be traced."""
        digest = hashlib.sha256(self.file.read_bytes()).hexdigest()
        return (
            f"内置：resources/reference/{self.file.name}（sha256 {digest}）；"
            f"{self.document}；据公开整理表转换，请以官方PDF为准"
        )


NATIONAL_2026 = BuiltinList(
    name="国家基本药物目录（2026年版）",
    edition="2026",
    effective_from="2026-09-01",
    document="国卫药政发〔2026〕17号",
    file=REFERENCE_DIR / "essential_list_2026.csv",
    official_pdf_url="https://www.gov.cn/zhengce/zhengceku/202607/P020260709781823352041.pdf",
    official_pdf_sha256="25671de0d85d12e409d79764d48865522e03122d8e9c1b0957a7ad1c8bf97e8e",
)
BUILTIN_LISTS: tuple[BuiltinList, ...] = (NATIONAL_2026,)

ENTRY_COLUMNS = ("seq", "generic_name", "dosage_form", "specification", "category", "note")


def read_bundled_entries(path: Path) -> list[tuple[str, str, str, str | None, str, str]]:
    """The entries of a bundled list CSV (FORMATS.md columns + 备注) as insert rows.

    An empty 规格 becomes NULL: the entry then matches on 通用名 and 剂型 only.
    """
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append(
                (
                    (r.get("序号") or "").strip(),
                    (r.get("通用名") or "").strip(),
                    (r.get("剂型") or "").strip(),
                    (r.get("规格") or "").strip() or None,
                    (r.get("类别") or "").strip(),
                    (r.get("备注") or "").strip(),
                )
            )
    return rows


def ensure_builtin_lists(conn: sqlite3.Connection) -> int:
    """Insert each bundled list that the database does not hold yet; how many were added.

    Idempotent: a bundled list is recognised by builtin=1 and its edition, so
    running this at every start adds nothing the second time. Each list and
    its entries go in one transaction, so a list is never half there.
    """
    added = 0
    for builtin in BUILTIN_LISTS:
        if _builtin_id(conn, builtin) is not None:
            continue
        entries = read_bundled_entries(builtin.file)  # read before taking the write lock
        source = builtin.source_text()
        with transaction(conn):
            if _builtin_id(conn, builtin) is not None:  # another connection was quicker
                continue
            cur = conn.execute(
                """INSERT INTO essential_lists (name, edition, effective_from, source, builtin)
                   VALUES (?, ?, ?, ?, 1)""",
                (builtin.name, builtin.edition, builtin.effective_from, source),
            )
            conn.executemany(
                f"""INSERT INTO essential_list_entries (list_id, {", ".join(ENTRY_COLUMNS)})
                    VALUES (?, ?, ?, ?, ?, ?, ?)""",
                [(cur.lastrowid, *e) for e in entries],
            )
        added += 1
    return added


def _builtin_id(conn: sqlite3.Connection, builtin: BuiltinList) -> int | None:
    row = conn.execute(
        "SELECT id FROM essential_lists WHERE builtin = 1 AND edition = ? ORDER BY id LIMIT 1",
        (builtin.edition,),
    ).fetchone()
    return None if row is None else int(row[0])


def list_in_force(
    conn: sqlite3.Connection, as_of: dt.date
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """(list row, its entries) in force on `as_of`, or None when no list applies.

    The list with the greatest effective_from ≤ as_of; among lists with the
    same date, the one imported last (imported_at, then id). Entries come in
    stored order as dicts with id, seq, generic_name, dosage_form,
    specification (None = no 规格), category, note. None means the caller must
    say there is no list (see `no_list_message`), not compute a share.
    """
    day = as_of.isoformat()[:10]
    row = conn.execute(
        """SELECT id, name, edition, effective_from, source, builtin, imported_at
           FROM essential_lists
           WHERE effective_from <= ?
           ORDER BY effective_from DESC, imported_at DESC, id DESC
           LIMIT 1""",
        (day,),
    ).fetchone()
    if row is None:
        return None
    keys = ("id", "name", "edition", "effective_from", "source", "builtin", "imported_at")
    lst = dict(zip(keys, tuple(row), strict=True))
    entries = [
        dict(zip(("id", *ENTRY_COLUMNS), tuple(r), strict=True))
        for r in conn.execute(
            f"""SELECT id, {", ".join(ENTRY_COLUMNS)} FROM essential_list_entries
                WHERE list_id = ? ORDER BY id""",
            (lst["id"],),
        )
    ]
    return lst, entries


def no_list_message(as_of: dt.date) -> str:
    """What to tell the user when `list_in_force` found nothing (ED-2)."""
    day = as_of.isoformat()[:10]
    if day < NATIONAL_2026.effective_from:
        return (
            f"{day} 无适用的国家基本药物目录：2026年版自 {NATIONAL_2026.effective_from} 起施行，"
            "此前适用 2018 年版，请导入 2018 年版目录（或本地目录）后再计算。"
        )
    return f"{day} 无适用的国家基本药物目录，请导入目录后再计算。"
