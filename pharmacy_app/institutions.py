"""The institution this installation belongs to (and others it knows of)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from db import transaction

LEVELS = ("grassroots", "secondary", "tertiary", "specialty")
LEVEL_NAMES = {
    "grassroots": "基层医疗卫生机构",
    "secondary": "二级医院",
    "tertiary": "三级医院",
    "specialty": "专科医院",
}


@dataclass(frozen=True)
class Institution:
    code: str
    name: str
    level: str
    remote: bool = False
    lead_code: str | None = None


class InstitutionError(ValueError):
    pass


def check_institution(code: str, name: str, level: str) -> tuple[str, str]:
    """The trimmed code and name, or InstitutionError naming what is wrong."""
    code = code.strip()
    name = name.strip()
    if not code:
        raise InstitutionError("机构编码不能为空")
    if not name:
        raise InstitutionError("机构名称不能为空")
    if level not in LEVELS:
        raise InstitutionError(f"机构级别必须是 {'/'.join(LEVELS)} 之一，收到：{level!r}")
    return code, name


def init_institution(
    conn: sqlite3.Connection, code: str, name: str, level: str, *, remote: bool = False
) -> Institution:
    """Create or update the installation's own institution and make it current."""
    code, name = check_institution(code, name, level)
    with transaction(conn):
        conn.execute(
            """INSERT INTO institutions (code, name, level, remote) VALUES (?, ?, ?, ?)
               ON CONFLICT(code) DO UPDATE SET name=excluded.name, level=excluded.level,
                 remote=excluded.remote, version=version+1,
                 updated_at=strftime('%Y-%m-%d %H:%M:%S','now','localtime')
               WHERE (name, level, remote) IS NOT (excluded.name, excluded.level, excluded.remote)""",
            (code, name, level, int(remote)),
        )
        conn.execute(
            "INSERT INTO app_settings (key, value) VALUES ('institution_code', ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (code,),
        )
    return Institution(code, name, level, remote)


def current_institution(conn: sqlite3.Connection) -> Institution | None:
    row = conn.execute(
        """SELECT i.code, i.name, i.level, i.remote, i.lead_code FROM institutions i
           JOIN app_settings s ON s.key='institution_code' AND s.value=i.code"""
    ).fetchone()
    if row is None:
        return None
    return Institution(row[0], row[1], row[2], bool(row[3]), row[4])
