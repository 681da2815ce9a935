"""Screenshots of the shortage-report page (SH-1…SH-3), headless.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/shots_shortage.py

Starts the real window on a fresh temporary data folder (the first start
builds the demo data, in Chinese), opens 短缺药品上报 and saves:

- shortage_list.png — the unresolved list tinted by SH-3 level, and the
  reports the app proposes from the demo's undelivered 硝酸甘油 orders and
  the low 地高辛 stock count;
- shortage_form.png — a draft started from the 硝酸甘油 proposal with the
  stock, impact and measures typed in, ready to file;
- shortage_pdf.png — that report's printed form (reportlab, embedded CJK
  font), rendered with `pdftoppm -r 60`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

from _shots import HERE, demo_window


def main() -> int:
    with demo_window((1440, 900)) as shot:
        window = shot.window
        window.show_page("shortage")
        # Pages may be built on first use (MainWindow.page); older windows
        # hold them as attributes.
        page = window.page("shortage") if hasattr(type(window), "page") else window.shortage
        shot.wait_idle()
        while page.overview is None:
            shot.wait_idle()
        page.report_view.selectRow(2)
        shot.pump(0.3)
        shot.save(window, "shortage_list.png")

        nitro = next(
            i for i in range(page.proposals.rowCount())
            if page.proposals.row_at(i).product.generic_name == "硝酸甘油"
        )
        page.draft_from(nitro)
        shot.wait_idle()
        form = page.form
        form.stock.setText("120")
        form.clinical_impact.setPlainText("心绞痛急性发作首选急救药，门诊及家庭医生签约患者常备。")
        form.measures.setPlainText("每日联系配送企业催货；已向县人民医院药剂科申请调剂 2 瓶。")
        shot.wait_idle()
        form.save_now()
        shot.wait_idle()
        form.clinical_impact.setFocus()
        shot.pump(0.3)
        shot.save(window, "shortage_form.png")

        pdf = shot.tmp / "shortage.pdf"
        form.print_pdf(pdf)
        shot.wait_idle()
        shot.session.close()
        pdftoppm = shutil.which("pdftoppm")
        if pdftoppm is None:
            print("pdftoppm (poppler-utils) is missing: shortage_pdf.png not made", file=sys.stderr)
            return 1
        subprocess.run(
            [pdftoppm, "-r", "60", "-png", "-singlefile", str(pdf), str(HERE / "shortage_pdf")],
            check=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
