"""Starting the app: window first, then demo data / database / load; fonts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from pharmacy_app.catalogue import save_products
from ui.app import Session, start

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "pyarrow", "reportlab", "pypinyin", "sqlite_utils", "numpy")


@pytest.fixture
def fake_demo(monkeypatch: pytest.MonkeyPatch):
    """A stand-in for pharmacy_app.demo: records calls, writes two products."""
    from conftest import sample_products

    calls: list[str] = []
    module = types.ModuleType("pharmacy_app.demo")

    def demo_is_needed(path: Path) -> bool:
        calls.append("check")
        return True

    def build_demo(path: Path, force: bool = False) -> str:
        from db import open_db

        calls.append("build")
        conn = open_db(path)
        try:
            save_products(conn, sample_products()[:2])
        finally:
            conn.close()
        return "示例数据已生成"

    module.demo_is_needed = demo_is_needed  # type: ignore[attr-defined]
    module.build_demo = build_demo  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pharmacy_app.demo", module)
    return calls


@pytest.fixture
def session_factory(qapp, qtbot):
    sessions: list[Session] = []

    def make(db_path: Path) -> Session:
        session = start(db_path, qapp)
        qtbot.addWidget(session.window)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()
        for translator in session.translators:
            qapp.removeTranslator(translator)


def test_first_start_shows_the_window_then_builds_demo_data_and_loads(
    qtbot, session_factory, db_path, fake_demo, wait_idle
):
    session = session_factory(db_path)
    # The window is up before any database work has run.
    assert session.window.isVisible()
    assert fake_demo == []
    qtbot.waitUntil(lambda: "build" in fake_demo, timeout=10_000)
    qtbot.waitUntil(lambda: session.window.catalogue.model.rowCount() == 2, timeout=10_000)
    wait_idle(session.worker)
    assert fake_demo == ["check", "build"]
    assert session.window.statusBar().currentMessage() == "示例数据已生成"
    # Chinese by default.
    assert session.window.windowTitle() == "药事台"


def test_database_from_a_newer_version_is_reported(
    qtbot, session_factory, db_path, conn, fake_demo, shown_errors, wait_idle, monkeypatch
):
    from db import DatabaseTooNew

    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('pharmacy_desk', '9999_future', 'x')"
    )
    fake = sys.modules["pharmacy_app.demo"]
    monkeypatch.setattr(fake, "demo_is_needed", lambda path: False)
    session = session_factory(db_path)
    qtbot.waitUntil(lambda: bool(shown_errors), timeout=10_000)
    wait_idle(session.worker)
    assert [type(e) for e in shown_errors] == [DatabaseTooNew]
    shown_errors.clear()


STARTUP_PROBE = textwrap.dedent(
    """
    import json, os, sys, time

    def since_process_start():
        with open("/proc/self/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")

    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from ui.app import start
    session = start(sys.argv[1], app, prepare=False)
    while not session.window.windowHandle().isExposed():
        app.processEvents()
    shown = since_process_start()
    loaded = sorted(m for m in {HEAVY} if m in sys.modules)
    session.close()
    print(json.dumps({{"shown_after": shown, "heavy_modules": loaded}}))
    """
)


def run_probe(script: str, *args: str, env: dict[str, str] | None = None) -> dict:
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    full_env.update(env or {})
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_window_appears_before_heavy_modules_are_imported(tmp_path):
    probe = STARTUP_PROBE.format(HEAVY=repr(HEAVY))
    result = run_probe(probe, str(tmp_path / "p.db"), env={"PHARMACY_DESK_HOME": str(tmp_path)})
    assert result["heavy_modules"] == []
    # Target is 0.5 s; the bound leaves room for a loaded shared machine.
    assert result["shown_after"] < 2.0, result


FONT_PROBE = textwrap.dedent(
    """
    import json
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QApplication, QLabel
    app = QApplication([])
    from ui.fonts import ensure_cjk_font, system_has_cjk_font
    before = system_has_cjk_font()
    label = QLabel("药事台")
    covered_before = QFontMetrics(label.font()).inFontUcs4(ord("药"))
    family = ensure_cjk_font(app)
    label = QLabel("药事台")
    covered_after = QFontMetrics(label.font()).inFontUcs4(ord("药"))
    print(json.dumps({"system_cjk": before, "registered": family,
                      "covered_before": covered_before, "covered_after": covered_after}))
    """
)


def test_bundled_font_is_used_when_the_system_has_no_cjk_font(tmp_path):
    """A fontconfig that sees only DejaVu stands in for a bare Linux box."""
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    if not dejavu.exists():
        pytest.skip("needs DejaVu fonts to build a CJK-less fontconfig")
    config = tmp_path / "fonts.conf"
    config.write_text(
        f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{dejavu}</dir><cachedir>{tmp_path / "cache"}</cachedir></fontconfig>
""",
        encoding="utf-8",
    )
    result = run_probe(FONT_PROBE, env={"FONTCONFIG_FILE": str(config)})
    assert result == {
        "system_cjk": False,
        "registered": "WenQuanYi Micro Hei",
        "covered_before": False,
        "covered_after": True,
    }


def test_system_cjk_font_is_left_alone(qapp):
    from ui.fonts import ensure_cjk_font, system_has_cjk_font

    if not system_has_cjk_font():
        pytest.skip("this machine has no CJK font of its own")
    assert ensure_cjk_font(qapp) is None


def test_default_qsettings_also_land_in_the_data_folder(
    session_factory, db_path, fake_demo, wait_idle
):
    from PySide6.QtCore import QSettings

    from pharmacy_app.paths import data_dir

    session = session_factory(db_path)
    assert Path(QSettings().fileName()).is_relative_to(data_dir())
    wait_idle(session.worker)
