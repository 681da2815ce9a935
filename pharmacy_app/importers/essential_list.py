"""Essential-medicines list (基本药物目录) → a new essential_lists row with its entries.

FORMATS.md: importing a list makes it the list in force from its
effective date; earlier lists are kept for history (ED-2), so an import
adds a list and never edits an old one — unless the list already in force
from that date has the same name, edition and entries: importing the same
file again then changes nothing (imports are idempotent, issue 2). 规格 is
optional: an entry without one (NULL) is matched on 通用名 and 剂型 alone.
"""

from __future__ import annotations

import datetime as dt

from pharmacy_app.parsing import parse_date, to_halfwidth

from .columns import MSG_EMPTY
from .engine import Counts, Importer
from .reading import Chunk
from .result import ImportFailed
from .spec import ESSENTIAL_LIST, normalise_header

MSG_HEADER_AGAIN = "表头在文件中再次出现（两份导出拼在一起？）：请删除这一行"

CATEGORIES = {
    "西药": "化学药品和生物制品",
    "化学药品": "化学药品和生物制品",
    "化学药品和生物制品": "化学药品和生物制品",
    "化学药品与生物制品": "化学药品和生物制品",
    "中成药": "中成药",
    "中药": "中成药",
}


class EssentialListImporter(Importer):
    spec = ESSENTIAL_LIST

    def prepare(self) -> None:
        options = self.ctx.options
        value = options.get("effective_from")
        try:
            self.effective_from = parse_date(value) if value else dt.date.today()
        except ValueError as exc:
            raise ImportFailed(f"{self.ctx.file}：生效日期无法识别：{value!r}") from exc
        self.name = (options.get("name") or "").strip() or self.ctx.source.path.stem
        self.edition = (options.get("edition") or "").strip()

    def begin(self) -> None:
        self.entries: list[tuple[str, str, str, str | None, str]] = []

    def feed(self, chunk: Chunk) -> None:
        ctx = self.ctx
        cols = {f: ctx.texts(chunk, f) for f in ctx.mapping}
        headers = {f: normalise_header(ctx.header(f) or "") for f in cols}
        for i in range(len(chunk)):
            v = {f: col[i] for f, col in cols.items() if col is not None}
            name = v.get("generic_name", "")
            if not name:
                ctx.error(chunk, i, "generic_name", MSG_EMPTY)
                continue
            if all(normalise_header(v.get(f, "")) == h for f, h in headers.items()):
                # Two exports pasted together: their header would become an entry.
                ctx.error(chunk, i, "generic_name", MSG_HEADER_AGAIN)
                continue
            category = v.get("category", "")
            category = CATEGORIES.get(to_halfwidth(category).replace(" ", ""), category)
            self.entries.append(
                (
                    v.get("seq", ""),
                    name,
                    v.get("dosage_form", ""),
                    v.get("specification") or None,
                    category,
                )
            )
        ctx.check_cancel()

    def _same_as_in_force(self) -> bool:
        """The list in force from this date (the last imported) is this one already."""
        row = self.conn.execute(
            """SELECT id, name, edition FROM essential_lists WHERE effective_from = ?
               ORDER BY imported_at DESC, id DESC LIMIT 1""",
            (self.effective_from.isoformat(),),
        ).fetchone()
        if row is None or (row[1], row[2]) != (self.name, self.edition):
            return False
        stored = self.conn.execute(
            "SELECT seq, generic_name, dosage_form, specification, category"
            " FROM essential_list_entries WHERE list_id = ? ORDER BY id",
            (row[0],),
        ).fetchall()
        return [tuple(r) for r in stored] == self.entries

    def write(self, batch_id: int) -> Counts:
        if self._same_as_in_force():
            self.ctx.write_progress(1.0)
            return Counts(unchanged=len(self.entries))
        cur = self.conn.execute(
            "INSERT INTO essential_lists (name, edition, effective_from, source) VALUES (?, ?, ?, ?)",
            (self.name, self.edition, self.effective_from.isoformat(), self.ctx.file),
        )
        list_id = cur.lastrowid
        self.conn.executemany(
            "INSERT INTO essential_list_entries (list_id, seq, generic_name, dosage_form,"
            " specification, category) VALUES (?, ?, ?, ?, ?, ?)",
            [(list_id, *entry) for entry in self.entries],
        )
        self.ctx.write_progress(1.0)
        return Counts(inserted=len(self.entries))
