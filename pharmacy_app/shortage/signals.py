"""Supply signals and catalogue look-ups behind a shortage report (SH-1, SH-3).

- `propose_reports` lists the products for which the app proposes a report
  (SH-3): orders undelivered past the delivery deadline, or an estimated
  days of cover under the warning threshold.
- `propose_substitutes` names catalogue products that could replace one
  (SH-1 "substitutes").
- `monthly_use` and `estimated_stock` give the form's defaults from
  purchase data and entered stock counts.

Undelivered (SH-3, deadline as SUP-2 decides it): the deadline is
`sup_delivery_hours` (48 h) after ordering, `sup_delivery_hours_remote`
(72 h) for an institution marked remote — `indicators.suppliers.delivery_hours`
is the one place that choice is made. A line is overdue at the as-of moment
(the end of the as-of day) when its deadline has passed and it was not
delivered by then; delivery exactly at the deadline is on time (SUP-2). A
product is proposed when it has overdue lines ordered after its last order
that did arrive: a later delivery means supply came back and an old lost
line is a supplier's matter (SUP-3), not a shortage. The orders must *stay*
undelivered: at least two overdue orders (reordered, still nothing), or one
overdue for twice the deadline (96 h, 144 h remote). One order just past
its deadline is a late delivery for the supplier figures (SUP-2), not yet a
shortage — the demo's Friday-evening orders, due on Sunday and still on the
road on Monday, would otherwise each propose a report. Only the last
`LOOKBACK_DAYS` of orders are read, and only active drugs.

Low cover (SH-3): estimated stock = the latest entered count + smallest
units delivered since − average use × days since; cover = stock ÷ daily
use. Counts older than `COUNT_MAX_AGE_DAYS` are not used: a month-old
count says too little about today's shelf. Proposed when the cover is under `sh_yellow_days`, the outermost
warning line of the policy profile, so the first warning level already
prompts a report; the proposal shows the level it would carry.

Products that already have an open (unresolved) report are never proposed:
the report is the answer to the signal.

Speed: both passes over the lookback window are plain scans (there is no
ordered_at index, see migration 0003); on 1,000,000 synthetic lines of one
year `propose_reports` took 0.5–0.7 s on the shared 2-core machine, run on
the database worker when the page loads.

Therapeutic class: the national drug code (医保药品分类与代码) of a Western
medicine is `X` + an ATC-like five-character group (`J01CA`, `C01DA` …) +
the generic name's number + form, specification, maker. Two drugs with the
same five characters share the ATC level-4 chemical/therapeutic subgroup
(C01DA = organic nitrates: 硝酸甘油, 硝酸异山梨酯, 单硝酸异山梨酯), the
narrowest group that still holds different molecules, so that is the
class. Four characters (C01D, vasodilators) would mix mechanisms a
pharmacist would not swap. Chinese patent medicines (`Z…`) and consumables
carry no ATC group: their class is unknown and only same-通用名 products
are proposed.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass
from fractions import Fraction

from pharmacy_app.institutions import Institution, current_institution
from pharmacy_app.policy import PolicyProfile
from pharmacy_app.shortage.model import (
    DAYS_PER_MONTH,
    OPEN_STATUSES,
    ShortageReport,
    Substitute,
    days_of_cover,
)

STAMP = "%Y-%m-%d %H:%M:%S"
LOOKBACK_DAYS = 90
USE_WINDOW_DAYS = 90
MIN_OVERDUE_ORDERS = 2
COUNT_MAX_AGE_DAYS = 30
ATC_RE = re.compile(r"^X([A-Z][0-9]{2}[A-Z]{2})")


@dataclass(frozen=True)
class ProductInfo:
    code: str
    generic_name: str
    dosage_form: str
    specification: str
    manufacturer: str
    package: str
    conversion: int
    active: bool

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.generic_name, self.dosage_form, self.specification) if p)


@dataclass(frozen=True)
class SubstituteProposal:
    """A catalogue product that could replace the short one."""

    product: ProductInfo
    kind: str  # 'same_generic' | 'same_class'
    last_delivered: str | None  # when it last arrived (is it in supply?)
    in_shortage: bool  # it has an open shortage report itself

    def as_substitute(self) -> Substitute:
        p = self.product
        name = f"{p.label}（{p.manufacturer}）" if p.manufacturer else p.label
        return Substitute(name, self.kind, p.code)


@dataclass(frozen=True)
class Proposal:
    """SH-3: a product the app proposes a report for, and why."""

    product: ProductInfo
    reason: str  # 'undelivered' | 'low_cover'
    overdue_lines: int = 0
    oldest_order: str | None = None
    deadline_hours: int = 0
    monthly_use: float | None = None
    estimated_stock: float | None = None
    cover: Fraction | None = None

    @property
    def start_date(self) -> dt.date | None:
        """When the shortage began: the oldest overdue line's deadline."""
        if self.oldest_order is None:
            return None
        ordered = dt.datetime.strptime(self.oldest_order, STAMP)
        return (ordered + dt.timedelta(hours=self.deadline_hours)).date()

    def describe(self) -> str:
        if self.reason == "undelivered":
            return (
                f"{self.overdue_lines} 行订单超过 {self.deadline_hours} 小时未配送"
                f"（最早下单 {self.oldest_order}）"
            )
        cover = "—" if self.cover is None else f"{float(self.cover):.1f}"
        return f"估算库存可用 {cover} 天"


def proposal_level(proposal: Proposal, profile: PolicyProfile) -> str:
    """SH-3 level a proposal would carry: from its estimated cover, with
    substitutability not yet known (judged as 'partial', the base level).
    Without a cover (no stock entered) the level is 'none', as for a report:
    the signal itself is the warning, the level needs figures."""
    from pharmacy_app.shortage.model import warning_level

    return warning_level(proposal.cover, "partial", profile)


def as_of_end(as_of: dt.date) -> str:
    """The as-of date means 24:00 of that day (RULES.md preamble)."""
    return (dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())).strftime(STAMP)


_PRODUCT_SQL = """SELECT code, generic_name, dosage_form, specification, manufacturer,
                         package, conversion, active FROM products"""


def _product(row: sqlite3.Row | tuple) -> ProductInfo:
    r = tuple(row)
    return ProductInfo(r[0], r[1], r[2], r[3], r[4], r[5], int(r[6] or 1), bool(r[7]))


def product_info(conn: sqlite3.Connection, code: str) -> ProductInfo | None:
    row = conn.execute(f"{_PRODUCT_SQL} WHERE code=?", (code,)).fetchone()
    return _product(row) if row is not None else None


def therapeutic_class(code: str) -> str | None:
    """The ATC-like level-4 group of a Western-medicine code, else None."""
    m = ATC_RE.match(code or "")
    return m.group(1) if m else None


def _open_report_codes(conn: sqlite3.Connection) -> set[str]:
    marks = ",".join("?" * len(OPEN_STATUSES))
    return {
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT product_code FROM shortage_reports WHERE status IN ({marks})",
            OPEN_STATUSES,
        )
    }


def propose_substitutes(
    conn: sqlite3.Connection, code: str, as_of: dt.date, *, exclude_report: str = ""
) -> list[SubstituteProposal]:
    """SH-1 substitutes from the catalogue, closest first.

    Same 通用名 (another specification, manufacturer or dosage form) before
    same therapeutic class (module docstring); active drugs only, products
    in supply (delivered recently) before those that are not.
    """
    target = product_info(conn, code)
    if target is None:
        return []
    klass = therapeutic_class(code)
    rows = conn.execute(
        f"""{_PRODUCT_SQL} WHERE active=1 AND kind='drug' AND code<>?
             AND (generic_name=? OR (? IS NOT NULL AND substr(code, 2, 5)=?))""",
        (code, target.generic_name, klass, klass),
    ).fetchall()
    products = [_product(r) for r in rows]
    end = as_of_end(as_of)
    last: dict[str, str] = {}
    if products:
        marks = ",".join("?" * len(products))
        last = {
            r[0]: r[1]
            for r in conn.execute(
                f"""SELECT code, max(delivered_at) FROM purchase_lines
                    WHERE code IN ({marks}) AND delivered_at IS NOT NULL AND delivered_at < ?
                    GROUP BY code""",
                [*(p.code for p in products), end],
            )
        }
    marks = ",".join("?" * len(OPEN_STATUSES))
    short = {
        r[0]
        for r in conn.execute(
            f"""SELECT product_code FROM shortage_reports WHERE status IN ({marks}) AND uuid<>?""",
            (*OPEN_STATUSES, exclude_report),
        )
    }
    proposals = [
        SubstituteProposal(
            p,
            "same_generic" if p.generic_name == target.generic_name else "same_class",
            last.get(p.code),
            p.code in short,
        )
        for p in products
    ]
    proposals.sort(
        key=lambda s: (
            s.kind != "same_generic",
            s.product.dosage_form != target.dosage_form,
            s.in_shortage,
            s.last_delivered is None,
            s.product.generic_name,
            s.product.specification,
            s.product.code,
        )
    )
    return proposals


def _institution_code(conn: sqlite3.Connection) -> str | None:
    """The current institution's code (None when none is set: every line counts)."""
    inst = current_institution(conn)
    return inst.code if inst else None


def monthly_use(
    conn: sqlite3.Connection, code: str, as_of: dt.date, *, days: int = USE_WINDOW_DAYS
) -> float | None:
    """Average monthly use in smallest units from the orders of the last
    `days` days (ordered quantity × package conversion), None without orders.

    Ordered rather than delivered quantities: in a shortage deliveries fall
    away, but what the pharmacy needs is what it kept ordering. Only the
    current institution's lines count (the database may hold an alliance
    member's purchases too).
    """
    end = as_of_end(as_of)
    start = (as_of + dt.timedelta(days=1) - dt.timedelta(days=days)).isoformat()
    row = conn.execute(
        """SELECT sum(l.qty * p.conversion) FROM purchase_lines l JOIN products p ON p.code=l.code
           WHERE l.code=? AND l.ordered_at >= ? AND l.ordered_at < ?
             AND (? IS NULL OR l.institution_code = ?)""",
        (code, start, end, *([_institution_code(conn)] * 2)),
    ).fetchone()
    if row is None or not row[0]:
        return None
    return round(float(row[0]) * DAYS_PER_MONTH / days, 1)


def estimated_stock(
    conn: sqlite3.Connection, code: str, as_of: dt.date, use: float | None
) -> float | None:
    """Latest entered count + delivered since − use since; None without a count.

    Deliveries are the current institution's only (as `monthly_use`)."""
    end = as_of_end(as_of)
    row = conn.execute(
        """SELECT counted_at, qty FROM stock_counts WHERE product_code=? AND counted_at < ?
           ORDER BY counted_at DESC, id DESC LIMIT 1""",
        (code, end),
    ).fetchone()
    if row is None:
        return None
    counted_at, qty = str(row[0]), float(row[1])
    delivered = conn.execute(
        """SELECT coalesce(sum(l.qty * p.conversion), 0) FROM purchase_lines l
           JOIN products p ON p.code=l.code
           WHERE l.code=? AND l.delivered_at > ? AND l.delivered_at < ?
             AND (? IS NULL OR l.institution_code = ?)""",
        (code, counted_at, end, *([_institution_code(conn)] * 2)),
    ).fetchone()[0]
    elapsed = (
        dt.datetime.strptime(end, STAMP) - dt.datetime.strptime(counted_at[:19], STAMP)
    ).total_seconds() / 86400
    used = (use or 0) / DAYS_PER_MONTH * max(elapsed, 0)
    return max(0.0, round(qty + float(delivered) - used, 1))


def _undelivered(
    conn: sqlite3.Connection, institution: Institution, as_of: dt.date, hours: int
) -> list[tuple[str, int, str]]:
    """(code, overdue lines, oldest order time) of the products whose orders
    stay undelivered (module docstring)."""
    end = as_of_end(as_of)
    end_time = dt.datetime.strptime(end, STAMP)
    since = (as_of - dt.timedelta(days=LOOKBACK_DAYS)).isoformat()
    return [
        (r[0], int(r[1]), str(r[2]))
        for r in conn.execute(
            f"""
WITH last_ok AS (
    SELECT code, max(ordered_at) AS last_ordered FROM purchase_lines
    WHERE institution_code=:inst AND ordered_at >= :since AND ordered_at < :end
      AND delivered_at IS NOT NULL AND delivered_at < :end
    GROUP BY code)
SELECT l.code, count(*), min(l.ordered_at), count(DISTINCT l.order_id)
FROM purchase_lines l
JOIN products p ON p.code=l.code AND p.active=1 AND p.kind='drug'
LEFT JOIN last_ok o ON o.code=l.code
WHERE l.institution_code=:inst AND l.ordered_at >= :since AND l.ordered_at < :end
  AND (l.delivered_at IS NULL OR l.delivered_at >= :end)
  AND datetime(l.ordered_at, '+{int(hours)} hours') < :end
  AND l.ordered_at > coalesce(o.last_ordered, '')
GROUP BY l.code ORDER BY min(l.ordered_at)""",
            {"inst": institution.code, "end": end, "since": since},
        )
        if int(r[3]) >= MIN_OVERDUE_ORDERS
        or dt.datetime.strptime(str(r[2])[:19], STAMP) + dt.timedelta(hours=2 * hours) < end_time
    ]


def propose_reports(
    conn: sqlite3.Connection, institution: Institution, as_of: dt.date, profile: PolicyProfile
) -> list[Proposal]:
    """SH-3: the products the app proposes a shortage report for (module docstring)."""
    from pharmacy_app.indicators.suppliers import delivery_hours

    hours = delivery_hours(institution, profile)
    taken = _open_report_codes(conn)
    out: list[Proposal] = []
    for code, lines, oldest in _undelivered(conn, institution, as_of, hours):
        if code in taken:
            continue
        info = product_info(conn, code)
        if info is None:
            continue
        use = monthly_use(conn, code, as_of)
        stock = estimated_stock(conn, code, as_of, use)
        out.append(
            Proposal(info, "undelivered", lines, oldest, hours, use, stock, days_of_cover(stock, use))
        )
        taken.add(code)
    threshold = int(profile["sh_yellow_days"])
    oldest_count = (as_of - dt.timedelta(days=COUNT_MAX_AGE_DAYS)).isoformat()
    counted = [
        r[0]
        for r in conn.execute(
            """SELECT product_code FROM stock_counts WHERE counted_at < ?
               GROUP BY product_code HAVING max(counted_at) >= ? ORDER BY 1""",
            (as_of_end(as_of), oldest_count),
        )
    ]
    for code in counted:
        if code in taken:
            continue
        info = product_info(conn, code)
        if info is None or not info.active:
            continue
        use = monthly_use(conn, code, as_of)
        stock = estimated_stock(conn, code, as_of, use)
        cover = days_of_cover(stock, use)
        if cover is not None and cover < threshold:
            out.append(Proposal(info, "low_cover", 0, None, hours, use, stock, cover))
    return out


def fill_product(
    conn: sqlite3.Connection, report: ShortageReport, code: str, as_of: dt.date
) -> ShortageReport:
    """The report with the product's catalogue fields, and its monthly use
    and estimated stock where the report has none yet (sensible defaults)."""
    info = product_info(conn, code)
    if info is None:
        raise LookupError(f"产品编码：目录中没有 {code}")
    use = report.monthly_use if report.monthly_use is not None else monthly_use(conn, code, as_of)
    stock = report.stock_on_hand
    if stock is None:
        stock = estimated_stock(conn, code, as_of, use)
    return report.with_changes(
        product_code=info.code,
        generic_name=info.generic_name,
        dosage_form=info.dosage_form,
        specification=info.specification,
        manufacturer=info.manufacturer,
        monthly_use=use,
        stock_on_hand=stock,
    )


def draft_from_proposal(
    conn: sqlite3.Connection, proposal: Proposal, as_of: dt.date
) -> ShortageReport:
    """SH-3 → SH-1: a new draft prefilled from a proposal (not yet saved)."""
    from pharmacy_app.shortage.store import new_report

    report = new_report(conn)
    report = fill_product(conn, report, proposal.product.code, as_of)
    subs = propose_substitutes(conn, proposal.product.code, as_of)
    in_supply = [s for s in subs if not s.in_shortage and s.last_delivered][:3]
    if proposal.reason == "undelivered":
        report = report.with_changes(
            start_date=proposal.start_date or as_of,
            cause="distribution",
            signal="undelivered",
        )
    else:
        report = report.with_changes(start_date=as_of, signal="low_cover")
    return report.with_changes(substitutes=tuple(s.as_substitute() for s in in_supply))
