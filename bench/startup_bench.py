"""Startup speed: from process start to the first window on screen.

The window must appear within half a second of starting `pharmacy-app`; the
database, demo data and heavy libraries come afterwards, on the worker
(ui/app.py). This builds a database with the demo data once, then starts the
real entry point, `python -m pharmacy_app --db <that file>`, several times
offscreen (QT_QPA_PLATFORM=offscreen) with PHARMACY_DESK_EXIT_AFTER_SHOW=1:
`ui.app.run_app` then waits until the window is exposed, prints the
`time.monotonic()` of that moment and the modules imported, and quits without
touching the database. `time.monotonic()` is one system-wide clock on Linux,
so the time shown is measured from just before the parent spawned the child:
interpreter start-up, imports, QApplication and the first paint all count.

Prints each run, the median and the slowest (target < 0.5 s), and which heavy
modules (pandas, pyarrow, reportlab, pypinyin, sqlite_utils, numpy) had been
imported when the window appeared — there should be none.

    .venv/bin/python bench/startup_bench.py [--runs 7] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "pyarrow", "reportlab", "pypinyin", "sqlite_utils", "numpy")
TARGET_S = 0.5


def child_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PHARMACY_DESK_HOME": str(home)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    return env


def build_demo_db(db: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pharmacy_app", "--db", str(db), "demo", "--no-window"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return time.perf_counter() - start


def one_start(db: Path, env: dict[str, str]) -> tuple[float, float, list[str]]:
    """(seconds to the window shown, seconds to exit, heavy modules at show time)."""
    env = {**env, "PHARMACY_DESK_EXIT_AFTER_SHOW": "1"}
    spawned = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "pharmacy_app", "--db", str(db)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    exited = time.monotonic()
    report = json.loads(out.stdout.strip().splitlines()[-1])
    heavy = [m for m in HEAVY if m in report["modules"]]
    return report["shown_monotonic"] - spawned, exited - spawned, heavy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed starts (default 7)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="startup_bench_"))
    try:
        env = child_env(tmp)
        db = tmp / "pharmacy.db"
        built = build_demo_db(db, env)
        print(f"demo database {db.stat().st_size / 1e6:.1f} MB built in {built:.1f} s")
        one_start(db, env)  # warm-up: file cache, fontconfig cache, .pyc files
        print(f"\n{'run':>4}{'shown s':>10}{'exit s':>9}  heavy modules at show")
        shown_times = []
        heavy_seen: set[str] = set()
        for run in range(1, args.runs + 1):
            shown, exited, heavy = one_start(db, env)
            shown_times.append(shown)
            heavy_seen.update(heavy)
            print(f"{run:>4}{shown:>10.3f}{exited:>9.3f}  {', '.join(heavy) or '-'}")
        median, worst = statistics.median(shown_times), max(shown_times)
        verdict = "OK" if median < TARGET_S else "OVER TARGET"
        print(
            f"\nwindow shown: median {median:.3f} s, max {worst:.3f} s "
            f"(target < {TARGET_S} s): {verdict}"
        )
        print(
            f"heavy modules imported before the window: {', '.join(sorted(heavy_seen)) or 'none'}"
        )
        if args.keep:
            print(f"kept {tmp}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
