"""Demo records of the assessment (SR-2 entered figures, SR-3 institution change).

The four SR-2 figures our data cannot derive are entered for the demo's
period in both bases (natural year and procurement year, SR-3 keeps them
apart), so the demo assessment has a complete total: the per-visit drug cost
fell 2.1%, one price violation was found (a deduction shows), no VBP-policy
violation and no irregular circulation. A village clinic's agreed volume of
阿卡波糖片 moves to the health centre 60 days before `today` (a transfer of a
station, SR-3), so the change list and its effect are visible.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

TABLES = ("assessment_entries", "institution_changes")

ENTRIES = (
    ("cost_growth", -0.021, "院内统计：人次均药品费用 86.40 元，上年 88.25 元"),
    ("vbp_violations", 0, "医保飞行检查未发现"),
    ("price_violations", 1, "一笔线下采购价格高于挂网价，已整改"),
    ("circulation", 0, ""),
)
STATION = "H46010001-03"


def write(conn: sqlite3.Connection, today: dt.date, seed: int) -> None:
    from pharmacy_app.institutions import current_institution
    from pharmacy_app.scoring import assessment_period, record_change, save_entry

    inst = current_institution(conn)
    if inst is None:
        return
    for basis in ("procurement", "natural"):
        period = assessment_period(conn, inst.code, today, basis)
        for indicator, value, note in ENTRIES:
            save_entry(conn, inst.code, basis, period.start, indicator, value, note, "药剂科 王敏")
    row = conn.execute(
        """SELECT batch, generic, start_date FROM agreements
           WHERE institution_code = ? AND generic = '阿卡波糖片'""", (inst.code,)).fetchone()
    effective = today - dt.timedelta(days=60)
    if row is not None and row[2][:10] <= effective.isoformat():
        record_change(conn, kind="station_transfer", effective_on=effective, from_code=STATION,
                      to_code=inst.code, batch=row[0], generic=row[1], qty=1200,
                      note="村卫生室划归本院管理，约定量随之转入")
