"""Importing Excel/CSV exports: catalogue, essential list, agreements, purchases, payments.

The UI and the command line call only what is exported here. `preview` reads
the top of a file and says how its columns map; `run_import` imports it
atomically (every valid row or nothing) and returns an ImportResult listing
every bad cell; `save_rejected` writes the rejected rows to a file the user
can fix and import again. Never imports Qt.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .agreements import AgreementsImporter
from .catalogue import CatalogueImporter
from .engine import Cancel, Importer, Progress, open_for, run
from .essential_list import EssentialListImporter
from .payments import PaymentsImporter
from .profiles import delete_mapping_profile, load_mapping_profiles, save_mapping_profile
from .purchases import PurchasesImporter
from .result import ImportCancelled, ImportFailed, ImportResult, RowError, save_rejected
from .spec import SPECS, get_spec, missing_required, normalise_header

KINDS = ("catalogue", "essential-list", "agreements", "purchases", "payments")

IMPORTERS: dict[str, type[Importer]] = {
    "catalogue": CatalogueImporter,
    "essential-list": EssentialListImporter,
    "agreements": AgreementsImporter,
    "purchases": PurchasesImporter,
    "payments": PaymentsImporter,
}


@dataclass
class Preview:
    """What the import dialog shows before importing: headers, mapping, a few rows."""

    file: str
    kind: str
    encoding: str | None
    sheet: str | None
    header_row: int
    headers: list[str]
    mapping: dict[str, str]
    unmapped_headers: list[str]
    missing_required: list[str]
    field_labels: dict[str, str]
    required_fields: list[str]
    sample_rows: list[list[str]] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.missing_required


def preview(
    kind: str,
    path: str | Path,
    *,
    rows: int = 20,
    mapping: dict[str, str] | None = None,
    options: dict | None = None,
) -> Preview:
    """Read the header and the first `rows` data rows of `path` for `kind`.

    Raises ImportFailed when the file cannot be read or a mapping override
    names a header the file does not have; missing required columns are
    reported in `missing_required`, not raised, so the dialog can ask.
    """
    spec, source, resolved = open_for(kind, path, mapping, dict(options or {}))
    mapped = set(resolved.values())
    return Preview(
        file=source.name,
        kind=kind,
        encoding=source.encoding,
        sheet=source.sheet,
        header_row=source.header_row,
        headers=list(source.headers),
        mapping={f: source.headers[i] for f, i in resolved.items()},
        unmapped_headers=[h for i, h in enumerate(source.headers) if h and i not in mapped],
        missing_required=missing_required(spec, resolved),
        field_labels=spec.labels,
        required_fields=spec.required,
        sample_rows=source.sample_rows(rows),
    )


def run_import(
    conn: sqlite3.Connection,
    kind: str,
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    options: dict | None = None,
) -> ImportResult:
    """Import `path` as `kind` in one transaction; see the package docstring.

    options: institution_code (default for files without 机构编码), sheet,
    encoding (force one), and for essential-list: name, edition,
    effective_from (date or text; default today).
    """
    get_spec(kind)
    return run(
        conn,
        kind,
        path,
        IMPORTERS[kind],
        mapping=mapping,
        progress=progress,
        cancel=cancel,
        options=options,
    )


__all__ = [
    "KINDS",
    "SPECS",
    "ImportCancelled",
    "ImportFailed",
    "ImportResult",
    "Preview",
    "RowError",
    "delete_mapping_profile",
    "load_mapping_profiles",
    "normalise_header",
    "preview",
    "run_import",
    "save_mapping_profile",
    "save_rejected",
]
