"""Checking a stored essential-medicines list against the official PDF.

The bundled 2026 list was converted from a table extracted from the PDF by a
third party (resources/reference/README.md), not typed from the official
document, so a pharmacist who signs an assessment built on it must be able
to check it. This module does the mechanical part of that check:

1. the PDF's SHA-256 against the digest recorded for the official attachment
   (tells whether the user holds the same document, not a reprint);
2. every entry's 通用名 must occur in the PDF's text;
3. every entry's 规格 must occur in the text within `SPEC_WINDOW` characters
   after one of its name's occurrences — the official table prints the
   dosage forms and specifications in the cell right of the name.

What it cannot do is find an official variety our table lost (the text has
no reliable row structure); the result says so. Text is compared after NFKC
(full-width → half-width), with all whitespace removed (PDF extraction puts
spaces and line breaks inside cells: `0. 1g`) and `∶` written `:`.
"""

from __future__ import annotations

import hashlib
import sqlite3
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pharmacy_app.essential_lists import BUILTIN_LISTS

SPEC_WINDOW = 400
"""Characters after a name in which its specifications must appear. A table
cell of forms and specifications is at most a few hundred characters; the
next variety's name follows it."""


class CheckFailed(Exception):
    """The PDF could not be checked (unreadable, encrypted, no text layer)."""


@dataclass(frozen=True)
class EntryProblem:
    seq: str
    generic_name: str
    dosage_form: str
    specification: str | None
    problem: str  # "name_missing" | "spec_missing"

    def describe(self) -> str:
        spec = f" {self.specification}" if self.specification else ""
        what = "通用名在PDF中未找到" if self.problem == "name_missing" else "规格未在该品种附近找到"
        return f"{self.seq} {self.generic_name} {self.dosage_form}{spec}：{what}"


@dataclass
class ListCheck:
    """What `check_list_against_pdf` found; `problems` lists entries to review by hand."""

    list_name: str
    pdf: Path
    sha256: str
    expected_sha256: str | None
    pages: int
    text_chars: int
    entries: int
    names_checked: int
    specs_checked: int
    problems: list[EntryProblem] = field(default_factory=list)

    @property
    def digest_matches(self) -> bool | None:
        """True/False against the recorded digest; None when none is recorded (a user's list)."""
        if not self.expected_sha256:
            return None
        return self.sha256 == self.expected_sha256

    @property
    def names_missing(self) -> list[EntryProblem]:
        return [p for p in self.problems if p.problem == "name_missing"]

    @property
    def specs_missing(self) -> list[EntryProblem]:
        return [p for p in self.problems if p.problem == "spec_missing"]

    def summary(self) -> str:
        if self.digest_matches is None:
            digest = f"文件 sha256 {self.sha256}（本目录没有记录官方文件的摘要）"
        elif self.digest_matches:
            digest = "文件与官方附件一致（sha256 相同）"
        else:
            digest = (
                f"文件与记录的官方附件不同（sha256 {self.sha256}，应为 {self.expected_sha256}），"
                "请确认是否为官方发布的文件"
            )
        return (
            f"{self.list_name}：核对 {self.entries} 个条目，PDF 共 {self.pages} 页。{digest}。"
            f"通用名未找到 {len(self.names_missing)} 个，规格未找到 {len(self.specs_missing)} 个。"
            "说明：本核对只能发现目录中与PDF不符的条目，不能发现PDF中有而目录中缺少的品种。"
        )


def normalise_text(text: str) -> str:
    """The form in which names, specifications and PDF text are compared."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(text.split()).replace("∶", ":").upper()


def pdf_text(
    path: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[int, str]:
    """(page count, normalised text of all pages) of the PDF at `path`."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        # Government attachments often carry only an owner password (no copying or
        # printing): they open with the empty user password and read as any other.
        if reader.is_encrypted and not reader.decrypt(""):
            raise CheckFailed(f"{path}: PDF 已加密（需要打开密码），无法读取文字")
        pages = reader.pages
        total = len(pages)
        parts: list[str] = []
        for i, page in enumerate(pages):
            if cancelled is not None and cancelled():
                raise CheckFailed("已取消核对")
            parts.append(page.extract_text() or "")
            if progress is not None:
                progress(i + 1, total)
    except (PdfReadError, OSError, ValueError) as exc:
        raise CheckFailed(f"{path}: 无法读取 PDF（{exc}）") from exc
    text = normalise_text("".join(parts))
    if not text:
        raise CheckFailed(f"{path}: PDF 中没有可提取的文字（可能是扫描件），无法自动核对")
    return total, text


def _occurrences(text: str, needle: str) -> list[int]:
    found: list[int] = []
    start = text.find(needle)
    while start >= 0:
        found.append(start)
        start = text.find(needle, start + 1)
    return found


def _expected_digest(conn: sqlite3.Connection, list_id: int) -> str | None:
    row = conn.execute(
        "SELECT builtin, edition FROM essential_lists WHERE id = ?", (list_id,)
    ).fetchone()
    if row is None or not row[0]:
        return None
    for builtin in BUILTIN_LISTS:
        if builtin.edition == row[1] and builtin.official_pdf_sha256:
            return builtin.official_pdf_sha256
    return None


def check_list_against_pdf(
    conn: sqlite3.Connection,
    list_id: int,
    pdf: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ListCheck:
    """Check the entries of essential list `list_id` against the PDF at `pdf`.

    Reads only; nothing is written. Raises CheckFailed with a message for
    the user when the list does not exist or the PDF has no usable text.
    """
    row = conn.execute("SELECT name FROM essential_lists WHERE id = ?", (list_id,)).fetchone()
    if row is None:
        raise CheckFailed(f"基药目录 {list_id} 不存在")
    pdf = Path(pdf)
    if not pdf.is_file():
        raise CheckFailed(f"{pdf}: 文件不存在")
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    pages, text = pdf_text(pdf, progress=progress, cancelled=cancelled)
    entries = conn.execute(
        """SELECT seq, generic_name, dosage_form, specification FROM essential_list_entries
           WHERE list_id = ? ORDER BY id""",
        (list_id,),
    ).fetchall()
    result = ListCheck(
        list_name=row[0],
        pdf=pdf,
        sha256=digest,
        expected_sha256=_expected_digest(conn, list_id),
        pages=pages,
        text_chars=len(text),
        entries=len(entries),
        names_checked=0,
        specs_checked=0,
    )
    positions: dict[str, list[int]] = {}
    for seq, name, form, spec in entries:
        key = normalise_text(name)
        if key not in positions:
            positions[key] = _occurrences(text, key)
            result.names_checked += 1
        where = positions[key]
        if not where:
            result.problems.append(EntryProblem(seq, name, form, spec, "name_missing"))
            continue
        if not spec:
            continue
        result.specs_checked += 1
        wanted = normalise_text(spec)
        if not any(wanted in text[p : p + len(key) + SPEC_WINDOW] for p in where):
            result.problems.append(EntryProblem(seq, name, form, spec, "spec_missing"))
    return result


@dataclass(frozen=True)
class StoredList:
    id: int
    name: str
    edition: str
    effective_from: str
    builtin: bool

    def label(self) -> str:
        origin = "内置" if self.builtin else "导入"
        return f"{self.name}（{origin}，{self.effective_from} 起施行）"


def stored_lists(conn: sqlite3.Connection) -> list[StoredList]:
    """Every stored list, newest in force first: the choices of what to check."""
    return [
        StoredList(int(r[0]), r[1], r[2], r[3], bool(r[4]))
        for r in conn.execute(
            """SELECT id, name, edition, effective_from, builtin FROM essential_lists
               ORDER BY effective_from DESC, imported_at DESC, id DESC"""
        )
    ]


PROBLEM_HEADERS = ("序号", "通用名", "剂型", "规格", "问题")


def save_problems(result: ListCheck, path: Path) -> None:
    """The entries to review as a CSV (UTF-8 with BOM, so Excel opens it), with
    the summary as the first line; written to a temporary file and renamed so
    a failed write leaves no half file."""
    import csv
    import os

    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([result.summary()])
        writer.writerow(PROBLEM_HEADERS)
        for p in result.problems:
            what = "通用名在PDF中未找到" if p.problem == "name_missing" else "规格未在该品种附近找到"
            writer.writerow([p.seq, p.generic_name, p.dosage_form, p.specification or "", what])
    os.replace(tmp, path)
