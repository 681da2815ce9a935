"""Regenerate the screenshots in this folder, headless.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_screenshots.py

Starts the real window on a fresh temporary data folder (so the first-start
demo data is built, in Chinese), then saves:

- catalogue.png — the catalogue page with the demo catalogue;
- import.png — the import dialog previewing a small GB18030 catalogue CSV
  with a title row above headers that use aliases;
- import_rejected.png — the same dialog after importing a file with bad rows;
- essential.png — the essential-drug dashboard (ED-1/2/4/5) as of the demo
  date, with two non-essential 品规 ticked in the what-if simulation;
- policy.png — the 政策参数 page with one salt-name mapping confirmed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

SIZE = (1440, 860)

PREVIEW_CSV = (
    "某某卫生院 2026 年采购目录（导出）\n"
    "国家医保药品编码,药品通用名,剂型,规格,包装规格,生产厂家,是否基药,集采中选,采购价\n"
    "XJ01CAA001A001010000301,阿莫西林,胶囊,0.25g,0.25g*24粒/盒,华北制药股份有限公司,是,否,5.80\n"
    "XA02BCA113A017010001801,奥美拉唑,肠溶胶囊,20mg,20mg*14粒/盒,常州四药制药有限公司,是,是,3.92\n"
    "XC10AAA077A003010000901,阿托伐他汀钙,片剂,20mg,20mg*14片/盒,北京嘉林药业股份有限公司,是,是,2.52\n"
    "XN02BEA001A001010100101,对乙酰氨基酚,片剂,0.5g,0.5g*12片/盒,华润双鹤药业股份有限公司,是,否,2.10\n"
)

BAD_CSV = (
    "药品编码,通用名,剂型,规格,包装,生产企业,基药,集采,单价\n"
    "XJ01CAA001A001010000301,阿莫西林,胶囊,0.25g,0.25g*24粒/盒,华北制药股份有限公司,是,否,5.80\n"
    "XA02BCA113,奥美拉唑,肠溶胶囊,20mg,20mg*14粒/盒,常州四药制药有限公司,是,是,3.92\n"
    "XC10AAA077A003010000901,阿托伐他汀钙,片剂,20mg,20mg*14片/盒,北京嘉林药业股份有限公司,是,也许,2.52\n"
    "XN02BEA001A001010100101,,片剂,0.5g,盒,华润双鹤药业股份有限公司,是,否,-2\n"
)


def main() -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PHARMACY_DESK_HOME"] = tmp
        from ui.app import start
        from ui.importing.dialog import ImportDialog

        session = start(Path(tmp) / "pharmacy.db", app)
        window = session.window
        window.resize(*SIZE)

        def pump(seconds: float) -> None:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                app.processEvents()
                time.sleep(0.01)

        def wait_idle(limit: float = 120) -> None:
            end = time.monotonic() + limit
            pump(0.2)
            while not session.worker.is_idle() and time.monotonic() < end:
                pump(0.05)
            pump(0.3)

        wait_idle()
        while window.catalogue.model.rowCount() == 0:
            wait_idle()
        window.catalogue.view.selectRow(9)
        pump(0.3)
        window.grab().save(str(HERE / "catalogue.png"))

        preview_file = Path(tmp) / "采购目录导出.csv"
        preview_file.write_text(PREVIEW_CSV, encoding="gb18030")
        dialog = ImportDialog(session.worker, window, kind="catalogue")
        dialog.show()
        dialog.set_file(preview_file)
        wait_idle()
        dialog.grab().save(str(HERE / "import.png"))

        bad_file = Path(tmp) / "目录_有错误.csv"
        bad_file.write_text(BAD_CSV, encoding="utf-8-sig")
        dialog.set_file(bad_file)
        wait_idle()
        dialog.start_import()
        wait_idle()
        dialog.grab().save(str(HERE / "import_rejected.png"))
        dialog.reject()
        wait_idle()

        window.show_page("essential")
        wait_idle()
        essential = window.essential
        while essential.loaded is None:
            wait_idle()
        essential.retire_model.set_checked(0, True)
        essential.retire_model.set_checked(1, True)
        wait_idle()
        window.grab().save(str(HERE / "essential.png"))
        essential.reset_simulation()

        window.show_page("policy")
        wait_idle()
        policy = window.policy
        while policy.state is None:
            wait_idle()
        if policy.suggestions_model.rowCount():
            policy.confirm_suggestion(0)
            wait_idle()
        policy.profile_combo.setFocus()
        window.grab().save(str(HERE / "policy.png"))
        session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
