"""Demo shortage reports (SH-1…SH-3): one in every workflow state, and signals left open.

- 去乙酰毛花苷 注射液: being handled, no substitute, 4 ampoules left (red);
- 甲巯咪唑 片剂: cannot be resolved, on the shortage list and escalated;
- 硫酸阿托品 注射液: reported two days ago, a same-class substitute (yellow);
- 阿莫西林 颗粒剂: resolved in September (the capsules stood in);
- 缩宫素 注射液: a draft started this morning, not complete yet.

The core demo's undelivered 硝酸甘油 orders (pharmacy_app/demo.py SHORTAGES)
are deliberately left without a report, so the page shows a proposal
(SH-3 undelivered); a stock count of 地高辛 片剂 taken at closing time, about
twelve days of use, gives a low-cover proposal.

Written with plain SQL and dates relative to `today`, so the demo is the
same for a given day whatever the clock says.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

TABLES = ("shortage_report_steps", "shortage_reports", "stock_counts")

LIAISON = ("王芳", "0898-65301234")
STAMP = "%Y-%m-%d %H:%M:%S"


def _stamp(today: dt.date, days_before: int, hour: int, minute: int = 0) -> str:
    moment = dt.datetime.combine(today - dt.timedelta(days=days_before), dt.time(hour, minute))
    return moment.strftime(STAMP)


def _product(conn: sqlite3.Connection, generic: str, form: str) -> tuple | None:
    return conn.execute(
        """SELECT code, generic_name, dosage_form, specification, manufacturer FROM products
           WHERE generic_name=? AND dosage_form=? AND active=1 ORDER BY code LIMIT 1""",
        (generic, form),
    ).fetchone()


# (generic, form, start days before today, stock, monthly use, kind, cause,
#  cause detail, clinical impact, substitutes [(generic, form, kind) or free text],
#  measures, steps [(status, days before, hour, note)])
REPORTS = (
    (
        "去乙酰毛花苷", "注射液", 19, 4, 33, "complete", "distribution", "",
        "急性心衰、快速房颤抢救用药，院内仅余 4 支，无同剂型替代。",
        (),
        "每日联系配送企业催货；已向县医院药剂科申请调剂 10 支。",
        (("draft", 17, 9, ""), ("reported", 17, 10, "经信息直报系统上报"),
         ("handling", 15, 15, "县卫健委已转配送企业")),
    ),
    (
        "甲巯咪唑", "片剂", 75, 0, 300, "complete", "production_stopped",
        "唯一供货企业停产，省平台无其他企业挂网。",
        "甲亢患者需长期服药，已有 12 名患者无法在本院取药。",
        ("丙硫氧嘧啶片（本院目录无，需上级医院处方）",),
        "告知患者至县医院取药；已报县卫健委纳入短缺清单。",
        (("draft", 74, 9, ""), ("reported", 74, 11, ""), ("handling", 70, 16, "联系生产企业"),
         ("unresolvable", 40, 10, "企业无复产计划，列入短缺药品清单并上报市级")),
    ),
    (
        "硫酸阿托品", "注射液", 3, 30, 40, "partial", "low_price", "",
        "有机磷中毒及术前用药，库存可用约三周。",
        (("消旋山莨菪碱", "注射液", "same_class"),),
        "暂停非急需使用，急诊优先。",
        (("draft", 2, 14, ""), ("reported", 2, 15, "")),
    ),
    (
        "阿莫西林", "颗粒剂", 80, 0, 120, "partial", "distribution", "",
        "儿童患者改用胶囊剂分剂量服用，影响较小。",
        (("阿莫西林", "胶囊", "same_generic"),),
        "改用阿莫西林胶囊；配送企业补货后恢复。",
        (("draft", 80, 10, ""), ("reported", 80, 11, ""), ("handling", 79, 9, ""),
         ("resolved", 64, 16, "已到货 40 盒")),
    ),
    (
        "缩宫素", "注射液", 0, 12, None, "partial", "", "", "", (), "",
        (("draft", 0, 9, ""),),
    ),
)


def _substitutes(conn: sqlite3.Connection, items: tuple) -> str:
    out = []
    for item in items:
        if isinstance(item, str):
            out.append({"code": "", "name": item, "kind": "other"})
            continue
        generic, form, kind = item
        row = _product(conn, generic, form)
        if row is None:
            continue
        name = f"{row[1]} {row[2]} {row[3]}（{row[4]}）"
        out.append({"code": row[0], "name": name, "kind": kind})
    return json.dumps(out, ensure_ascii=False)


def write(conn: sqlite3.Connection, today: dt.date, seed: int) -> None:
    from pharmacy_app.shortage.signals import monthly_use

    conn.executemany(
        "INSERT OR IGNORE INTO app_settings (key, value) VALUES (?, ?)",
        (("shortage_liaison_name", LIAISON[0]), ("shortage_liaison_phone", LIAISON[1])),
    )
    inst = conn.execute("SELECT value FROM app_settings WHERE key='institution_code'").fetchone()
    institution = inst[0] if inst else ""
    for (generic, form, start, stock, use, kind, cause, detail, impact, subs, measures,
         steps) in REPORTS:
        product = _product(conn, generic, form)
        if product is None:
            continue
        status = steps[-1][0]
        created = _stamp(today, steps[0][1], steps[0][2])
        updated = _stamp(today, steps[-1][1], steps[-1][2])
        cur = conn.execute(
            """INSERT INTO shortage_reports (institution_code, product_code, generic_name,
                   dosage_form, specification, manufacturer, start_date, stock_on_hand,
                   monthly_use, kind, cause, cause_detail, clinical_impact, substitutes,
                   measures_taken, reporter, contact, liaison, liaison_contact, status,
                   version, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                institution, *product, (today - dt.timedelta(days=start)).isoformat(), stock,
                use, kind, cause, detail, impact, _substitutes(conn, subs), measures,
                LIAISON[0], LIAISON[1], LIAISON[0], LIAISON[1], status, len(steps),
                created, updated,
            ),
        )
        uuid = conn.execute(
            "SELECT uuid FROM shortage_reports WHERE id=?", (cur.lastrowid,)
        ).fetchone()[0]
        previous = None
        for to_status, days_before, hour, note in steps:
            conn.execute(
                """INSERT INTO shortage_report_steps (report_uuid, from_status, to_status, at, by,
                       note) VALUES (?, ?, ?, ?, ?, ?)""",
                (uuid, previous, to_status, _stamp(today, days_before, hour), LIAISON[0], note),
            )
            previous = to_status
        conn.execute(
            "INSERT INTO stock_counts (product_code, counted_at, qty, counted_by, source) "
            "VALUES (?, ?, ?, ?, ?)",
            (product[0], updated, stock, LIAISON[0], f"report:{uuid}"),
        )
    # SH-3 low cover: about twelve days of 地高辛 left at closing time.
    digoxin = _product(conn, "地高辛", "片剂")
    if digoxin is not None:
        use = monthly_use(conn, digoxin[0], today)
        if use:
            conn.execute(
                "INSERT INTO stock_counts (product_code, counted_at, qty, counted_by, source) "
                "VALUES (?, ?, ?, ?, 'count')",
                (digoxin[0], _stamp(today, 0, 17, 45), round(use / 30 * 12), LIAISON[0]),
            )
