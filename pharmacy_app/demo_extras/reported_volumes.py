"""Demo reported volumes (AV-10) for the year after the demo's `today`.

Every agreement 通用名 of the demo gets its proposal entered as 报量, except:
阿卡波糖片 is reported far below last year (−40 %, needs a written explanation,
left without one so the export refusal shows), 塞来昔布胶囊 is reported lower
with its explanation written, and the VBP products the demo holds without an
agreement stay unreported (flagged: no surplus retention, 001 §8).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

TABLES = ("reported_volumes",)

NEEDS_EXPLANATION = "阿卡波糖片"
EXPLAINED = ("塞来昔布胶囊", "临床路径调整，选择性 COX-2 抑制剂使用减少，按近 6 个月用量测算。")


def write(conn: sqlite3.Connection, today: dt.date, seed: int) -> None:
    from pharmacy_app.reported_volumes import Entry, compute_report, save_entries

    report = compute_report(conn, today)
    entries = []
    for r in report.rows:
        if r.origin != "agreement":
            continue
        if r.generic == NEEDS_EXPLANATION:
            entries.append(Entry(r.generic, int(r.last_year_qty * 0.6), "", r.batch))
        elif r.generic == EXPLAINED[0]:
            entries.append(Entry(r.generic, int(r.last_year_qty * 0.7), EXPLAINED[1], r.batch))
        else:
            entries.append(Entry(r.generic, r.proposed_qty, "", r.batch))
    save_entries(conn, report.report_year, entries, by="药剂科（示例）", source="demo")
