"""Demo supply emergency (AV-7, AV-8) and exemption (AV-9).

Without them the agreements page's emergency and exemption lists would be
empty and AV-7 would never show a backup purchase counted as selected. The
records go through `agreement_records.save_*`, the checks the window uses.

* 头孢呋辛酯片 (第三批) has a backup supplier with regular purchases: the
  selected company could not deliver for three weeks ending 20 days before
  the demo's day, so backup purchases in that window count as selected (AV-7).
* 塞来昔布胶囊 (第二批), behind 序时进度, was put on the key-monitoring list
  (重点监控合理用药药品目录) 45 days before the demo's day: exempt from
  the completion assessment from then on (AV-9).

Both dates are clipped into the agreement's year, so any demo day inside the
2026 procurement years gives valid records; before the year starts none is
written (a record outside the year would be rejected).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from pharmacy_app.agreement_records import (
    EmergencyRecord,
    ExemptionRecord,
    agreement_years,
    save_emergency,
    save_exemption,
)
from pharmacy_app.demo import INSTITUTION_CODE

TABLES = ("agreement_emergencies", "agreement_exemptions")

EMERGENCY = ("第三批", "头孢呋辛酯片")
EXEMPTION = ("第二批", "塞来昔布胶囊")


def write(conn: sqlite3.Connection, today: dt.date, seed: int) -> None:
    years = {(y.batch, y.generic): y for y in agreement_years(conn, INSTITUTION_CODE)}
    year = years.get(EMERGENCY)
    if year is not None and today > year.start:
        end = max(year.start, min(today - dt.timedelta(days=20), year.end))
        start = max(year.start, end - dt.timedelta(days=20))
        save_emergency(conn, INSTITUTION_CODE, EmergencyRecord(
            generic=EMERGENCY[1], batch=EMERGENCY[0], start=start, end=end,
            reason="中选企业原料药短缺，配送企业书面告知无法供货", confirmed_by="药剂科 王药师",
        ))
    year = years.get(EXEMPTION)
    if year is not None and today > year.start:
        declared = max(year.start, min(today - dt.timedelta(days=45), year.end))
        save_exemption(conn, INSTITUTION_CODE, ExemptionRecord(
            generic=EXEMPTION[1], batch=EXEMPTION[0], reason="key_monitoring",
            declared_on=declared, note="纳入省重点监控合理用药药品目录（第二批）",
        ))
