"""User-saved column mappings ("mapping profiles"), kept in app_settings.

A hospital system whose export heads columns in its own way is mapped once by
hand; the mapping is saved under a name and offered again next time. Stored
as JSON under the key `mapping:<kind>:<name>`.
"""

from __future__ import annotations

import json
import sqlite3

from db import transaction

from .spec import get_spec

PREFIX = "mapping:"


def _key(kind: str, name: str) -> str:
    return f"{PREFIX}{kind}:{name}"


def save_mapping_profile(
    conn: sqlite3.Connection, kind: str, name: str, mapping: dict[str, str]
) -> None:
    """Save (or replace) a mapping field → header text for `kind` under `name`."""
    spec = get_spec(kind)
    name = name.strip()
    if not name:
        raise ValueError("映射方案名称不能为空")
    known = {f.name for f in spec.fields}
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise ValueError(f"映射中有{spec.title}不认识的字段：{', '.join(unknown)}")
    value = json.dumps({k: v for k, v in mapping.items() if v}, ensure_ascii=False, sort_keys=True)
    with transaction(conn):
        conn.execute(
            "INSERT INTO app_settings (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (_key(kind, name), value),
        )


def load_mapping_profiles(conn: sqlite3.Connection, kind: str) -> dict[str, dict[str, str]]:
    """All saved mappings for `kind`: profile name → {field: header}."""
    get_spec(kind)
    prefix = f"{PREFIX}{kind}:"
    profiles: dict[str, dict[str, str]] = {}
    for key, value in conn.execute(
        "SELECT key, value FROM app_settings WHERE substr(key, 1, ?) = ? ORDER BY key",
        (len(prefix), prefix),
    ):
        try:
            data = json.loads(value)
        except (TypeError, ValueError):
            continue
        if isinstance(data, dict):
            profiles[key[len(prefix) :]] = {str(k): str(v) for k, v in data.items()}
    return profiles


def delete_mapping_profile(conn: sqlite3.Connection, kind: str, name: str) -> bool:
    with transaction(conn):
        cur = conn.execute("DELETE FROM app_settings WHERE key = ?", (_key(kind, name),))
    return cur.rowcount > 0
