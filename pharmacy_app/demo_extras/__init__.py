"""Demo records of feature areas added after the core demo (tickets, reported
volumes, shortage reports, …), one module each.

A module here defines `TABLES` (the tables it fills, wiped by `demo --force`
in the order given, so children first) and
`write(conn, today: datetime.date, seed: int) -> None`, called inside the demo's
transaction after the catalogue, agreements, purchases and payments are
written, so it can pick real products and suppliers from them. It must be
deterministic for a given `today` and `seed`.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
        if not info.name.startswith("_")
    ]
