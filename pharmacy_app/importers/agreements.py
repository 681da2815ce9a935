"""Agreed volumes (约定采购量) → agreements + agreement_products (AV-1).

One agreement per institution × VBP batch × 通用名 × start date, with its
selected, backup and substitutable product codes (`;`-separated in the
file), the selected price per smallest unit as exact decimal text and the
agreed quantity in smallest units. The institution defaults to the
installation's own when the file has no 机构编码 column. Re-importing updates
by key; an unchanged agreement keeps its version and logs nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import astuple, dataclass

from pharmacy_app.catalogue import normalise_code, validate_code
from pharmacy_app.parsing import decimal_text, parse_date, parse_decimal

from .columns import MSG_BAD_DATE, MSG_EMPTY, MSG_NEGATIVE, MSG_NOT_NUMBER
from .engine import Counts, Importer, require_institution
from .reading import Chunk
from .spec import AGREEMENTS

ROLES = (
    ("selected_codes", "selected"),
    ("backup_codes", "backup"),
    ("substitute_codes", "substitute"),
)
_CODE_SPLIT_RE = re.compile(r"[;；,，、\s]+")
NOW = "strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime')"


@dataclass(frozen=True)
class Agreement:
    institution_code: str
    batch: str
    generic: str
    selected_price: str
    agreed_qty: float
    last_year_qty: float | None
    start_date: str
    end_date: str
    selected: tuple[str, ...]
    backup: tuple[str, ...]
    substitute: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.institution_code, self.batch, self.generic, self.start_date)

    @property
    def content_hash(self) -> str:
        return hashlib.blake2b(repr(astuple(self)).encode(), digest_size=12).hexdigest()


def split_codes(text: str) -> list[str]:
    return [normalise_code(c) for c in _CODE_SPLIT_RE.split(text) if c.strip()]


class AgreementsImporter(Importer):
    spec = AGREEMENTS

    def prepare(self) -> None:
        self.default_institution = require_institution(self.ctx)

    def begin(self) -> None:
        self.agreements: list[Agreement] = []
        self.seen: dict[tuple, int] = {}
        # (institution, batch, 通用名) → (start, end, row) of this file's agreements.
        self.years: dict[tuple[str, str, str], list[tuple[str, str, int]]] = {}
        # key of a file row → start date of the stored agreement it re-dates.
        self.redated: dict[tuple[str, str, str, str], str] = {}
        self.placed: list[tuple[Agreement, int, list[str]]] = []

    def feed(self, chunk: Chunk) -> None:
        ctx = self.ctx
        cols = {f: ctx.texts(chunk, f) for f in ctx.mapping}
        for i in range(len(chunk)):
            v = {f: col[i] for f, col in cols.items() if col is not None}
            # A repeated key is reported even when its first row has other errors.
            key = self._key(v)
            first = self.seen.get(key) if key else None
            if first is not None:
                ctx.error(
                    chunk,
                    i,
                    "generic",
                    f"同一机构、批次、通用名和执行开始日期的约定在文件中重复（与第 {first} 行相同）",
                )
                continue
            if key:
                self.seen[key] = int(chunk.rows[i])
            agreement = self._agreement(chunk, i, v)
            if agreement is not None and self._one_year_each(chunk, i, agreement):
                self.agreements.append(agreement)
        ctx.check_cancel()

    def _one_year_each(self, chunk: Chunk, i: int, a: Agreement) -> bool:
        """AV-1: one procurement year at a time per institution × batch × 通用名.

        Overlapping years would count each purchase twice: two rows of the file
        that overlap are an error here; stored years are weighed in
        end_of_input, once every row is known.
        """
        group = (a.institution_code, a.batch, a.generic)
        row = int(chunk.rows[i])
        for start, end, other in self.years.get(group, ()):
            if start <= a.end_date and a.start_date <= end:
                self.ctx.error(chunk, i, "start",
                               f"执行期与第 {other} 行的同一约定（{start} 至 {end}）重叠")
                return False
        self.years.setdefault(group, []).append((a.start_date, a.end_date, row))
        self.placed.append((a, row, chunk.cells(i)))
        return True

    def end_of_input(self) -> None:
        """Each row against the stored years of its institution × batch × 通用名.

        A stored year the file names by its start is updated by that row (its
        new dates were checked against the file's other rows). Of the others, a
        row overlapping exactly one — no row claiming it — is that agreement with
        corrected dates (a platform re-issue) and re-dates it; overlapping one
        while also updating a year of its own, or several, is an error.
        """
        claimed = {a.key for a, _row, _cells in self.placed}
        targets: dict[tuple[str, ...], int] = {}
        for a, row, cells in self.placed:
            group = a.key[:3]
            stored = self.conn.execute(
                """SELECT start_date, end_date FROM agreements
                   WHERE institution_code = ? AND batch = ? AND generic = ?
                     AND start_date <= ? AND end_date >= ?""",
                (*group, a.end_date, a.start_date),
            ).fetchall()
            exact = any(r[0] == a.start_date for r in stored)
            others = [r for r in stored if r[0] != a.start_date and (*group, r[0]) not in claimed]
            problem = None
            if others and (exact or len(others) > 1):
                years = "、".join(f"{r[0]} 至 {r[1]}" for r in others)
                problem = f"执行期与已有的同一约定（{years}）重叠"
            elif others:
                target = (*group, others[0][0])
                if target in targets:
                    problem = f"与第 {targets[target]} 行都与已有约定（{others[0][0]} 起）重叠"
                else:
                    targets[target] = row
                    self.redated[a.key] = others[0][0]
            if problem:
                self.ctx.reject_row(row, cells, problem)

    def _key(self, v: dict[str, str]) -> tuple[str, str, str, str] | None:
        try:
            start = parse_date(v.get("start", "")).isoformat()
        except ValueError:
            return None
        institution = v.get("institution", "") or (self.default_institution or "")
        return (institution, v.get("batch", ""), v.get("generic", ""), start)

    def _agreement(self, chunk: Chunk, i: int, v: dict[str, str]) -> Agreement | None:
        ctx = self.ctx
        before = ctx.result.error_count

        def fail(field: str, message: str) -> None:
            ctx.error(chunk, i, field, message)

        institution = v.get("institution", "") or (self.default_institution or "")
        if not institution:
            fail("institution", MSG_EMPTY)
        for field in ("batch", "generic"):
            if not v.get(field):
                fail(field, MSG_EMPTY)
        roles: dict[str, tuple[str, ...]] = {}
        for field, role in ROLES:
            found = split_codes(v.get(field, ""))
            for code in found:
                reason = validate_code(code)
                if reason:
                    fail(field, reason)
            roles[role] = tuple(dict.fromkeys(found))
        if not roles["selected"]:
            fail("selected_codes", MSG_EMPTY)
        numbers: dict[str, float | str | None] = {}
        for field, required in (
            ("selected_price", True),
            ("agreed_qty", True),
            ("last_year_qty", False),
        ):
            text = v.get(field, "")
            if not text:
                if required:
                    fail(field, MSG_EMPTY)
                numbers[field] = None
                continue
            try:
                number = parse_decimal(text)
            except ValueError:
                fail(field, MSG_NOT_NUMBER)
                continue
            if number < 0:
                fail(field, MSG_NEGATIVE)
                continue
            numbers[field] = decimal_text(number) if field == "selected_price" else float(number)
        dates = {}
        for field in ("start", "end"):
            text = v.get(field, "")
            if not text:
                fail(field, MSG_EMPTY)
                continue
            try:
                dates[field] = parse_date(text)
            except ValueError:
                fail(field, MSG_BAD_DATE)
        if len(dates) == 2 and dates["end"] < dates["start"]:
            fail("end", f"执行结束早于执行开始（{dates['start'].isoformat()}）")
        if ctx.result.error_count != before:
            return None
        return Agreement(
            institution_code=institution,
            batch=v["batch"],
            generic=v["generic"],
            selected_price=str(numbers["selected_price"]),
            agreed_qty=float(numbers["agreed_qty"] or 0),
            last_year_qty=numbers.get("last_year_qty"),  # type: ignore[arg-type]
            start_date=dates["start"].isoformat(),
            end_date=dates["end"].isoformat(),
            selected=roles["selected"],
            backup=roles["backup"],
            substitute=roles["substitute"],
        )

    def write(self, batch_id: int) -> Counts:
        conn = self.conn
        counts = Counts()
        for a in self.agreements:
            old_start = self.redated.get(a.key)
            if old_start is not None:
                # Before any row is written: the stored year takes the file's start,
                # keeping its id, products' history and the AV-9 exemptions aimed at it.
                conn.execute(
                    "UPDATE agreements SET start_date = ? WHERE institution_code = ? "
                    "AND batch = ? AND generic = ? AND start_date = ?",
                    (a.start_date, *a.key[:3], old_start),
                )
                conn.execute(
                    "UPDATE agreement_exemptions SET agreement_start = ? WHERE institution_code = ? "
                    "AND batch = ? AND generic = ? AND agreement_start = ?",
                    (a.start_date, *a.key[:3], old_start),
                )
        for n, a in enumerate(self.agreements):
            row = conn.execute(
                "SELECT id, content_hash FROM agreements WHERE institution_code=? AND batch=? "
                "AND generic=? AND start_date=?",
                a.key,
            ).fetchone()
            digest = a.content_hash
            if row is not None and row[1] == digest:
                counts.unchanged += 1
                continue
            conn.execute(
                f"""INSERT INTO agreements (institution_code, batch, generic, selected_price,
                        agreed_qty, last_year_qty, start_date, end_date, content_hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(institution_code, batch, generic, start_date) DO UPDATE SET
                        selected_price=excluded.selected_price, agreed_qty=excluded.agreed_qty,
                        last_year_qty=excluded.last_year_qty, end_date=excluded.end_date,
                        content_hash=excluded.content_hash, version=agreements.version + 1,
                        updated_at={NOW}
                    WHERE agreements.content_hash IS NOT excluded.content_hash""",
                (
                    a.institution_code,
                    a.batch,
                    a.generic,
                    a.selected_price,
                    a.agreed_qty,
                    a.last_year_qty,
                    a.start_date,
                    a.end_date,
                    digest,
                ),
            )
            if row is None:
                counts.inserted += 1
                agreement_id = conn.execute(
                    "SELECT id FROM agreements WHERE institution_code=? AND batch=? "
                    "AND generic=? AND start_date=?",
                    a.key,
                ).fetchone()[0]
            else:
                counts.updated += 1
                agreement_id = row[0]
                conn.execute("DELETE FROM agreement_products WHERE agreement_id=?", (agreement_id,))
            conn.executemany(
                "INSERT INTO agreement_products (agreement_id, code, role) VALUES (?, ?, ?)",
                [
                    (agreement_id, code, role)
                    for role, found in (
                        ("selected", a.selected),
                        ("backup", a.backup),
                        ("substitute", a.substitute),
                    )
                    for code in found
                ],
            )
            if n % 1000 == 0:
                self.ctx.check_cancel()
                self.ctx.write_progress(n / max(len(self.agreements), 1))
        return counts
