"""The printed reports by name: what the CLI's `report KIND` and the window's
report picker both call, so the two can never produce different documents.
"""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.layout import CancelFn, ProgressFn, ReportCancelled

__all__ = ["KINDS", "BuiltReport", "ReportCancelled", "ReportKind", "build_report", "render_bytes"]

STEPS = 1000
GATHER_SHARE = 300  # of STEPS: reading figures; the rest is layout


@dataclass(frozen=True)
class ReportKind:
    key: str
    title: str
    description: str
    module: str
    options: tuple[str, ...] = ()  # keyword options its gather() takes

    def functions(self) -> tuple[Callable[..., Any], Callable[..., int]]:
        """(gather, render) of the report's module, imported on first use (reportlab is heavy)."""
        import importlib

        mod = importlib.import_module(self.module)
        return mod.gather, mod.render


KINDS: dict[str, ReportKind] = {
    "assessment": ReportKind(
        "assessment", "药品集中采购与使用考核报告",
        "封面、考核得分、基药占比、约定量、配送企业、回款、预警、措施、签字", "reports.assessment",
        options=("year_basis",)),
    "agreements": ReportKind(
        "agreements", "集采约定采购量执行进度报告",
        "每个通用名的完成进度、序时进度、结果与非中选占比，附逐月进度图", "reports.agreements"),
    "payment-standards": ReportKind(
        "payment-standards", "医保支付标准表",
        "集采通用名下每个产品第 1–3 年的支付标准与患者自付（PS-1 至 PS-4）",
        "reports.payment_standards"),
}


@dataclass(frozen=True)
class BuiltReport:
    kind: str
    as_of: dt.date
    pages: int
    gather_seconds: float
    layout_seconds: float


def build_report(
    kind: str,
    conn: sqlite3.Connection,
    as_of: dt.date,
    target: str | Path | io.BytesIO,
    progress: ProgressFn | None = None,
    cancelled: CancelFn | None = None,
    **options: Any,
) -> BuiltReport:
    """Build report `kind` as of `as_of` into `target` (a path or a BytesIO).

    Progress goes to `progress(done, STEPS, label)`: the first 30 % while
    the figures are read, the rest while pages are laid out. Raises
    ReportCancelled as soon as `cancelled()` answers True, KeyError for an
    unknown kind. `options` the kind does not take (e.g. `year_basis` for
    anything but the assessment report) are ignored, so callers can pass the
    page's or the command line's settings whatever the kind.
    """
    spec = KINDS[kind]
    gather, render = spec.functions()
    taken = {k: v for k, v in options.items() if k in spec.options and v is not None}

    def stage(offset: int, width: int) -> ProgressFn | None:
        if progress is None:
            return None

        def report(done: int, total: int, label: str) -> None:
            part = (done / total) if total > 0 else 0.0
            progress(offset + int(width * min(part, 1.0)), STEPS, label)

        return report

    started = time.perf_counter()
    data = gather(conn, as_of, stage(0, GATHER_SHARE), cancelled, **taken)
    gathered = time.perf_counter()
    if cancelled is not None and cancelled():
        raise ReportCancelled
    pages = render(data, target, stage(GATHER_SHARE, STEPS - GATHER_SHARE), cancelled)
    done = time.perf_counter()
    if progress is not None:
        progress(STEPS, STEPS, f"完成，共 {pages} 页")
    return BuiltReport(kind, as_of, pages, gathered - started, done - gathered)


def render_bytes(kind: str, conn: sqlite3.Connection, as_of: dt.date,
                 progress: ProgressFn | None = None,
                 cancelled: CancelFn | None = None, **options: Any) -> tuple[bytes, BuiltReport]:
    """The report as PDF bytes (the window previews them before saving or printing)."""
    buffer = io.BytesIO()
    built = build_report(kind, conn, as_of, buffer, progress, cancelled, **options)
    return buffer.getvalue(), built
