"""`nianbao demo` runs the whole pipeline on the simulator and prints a summary a researcher can use."""

from __future__ import annotations

import pytest
from crawl_helpers import run_nianbao

from storage.archive import Archive

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_demo_small_world(tmp_path):
    # 6 reports: one per CMS family (the first six portals always exist); the simulator and kill
    # tests cover breadth, this one the command's own job (serve, crawl in a child, summarise)
    db = str(tmp_path / "demo.db")
    r = run_nianbao("demo", "--db", db, "--size", "6", "--seed", "3", timeout=170)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "reports archived" in r.stdout and "reports by year and template" in r.stdout
    assert "nianbao export" in r.stdout and "nianbao serve" in r.stdout
    with Archive.open(db) as archive:
        n = sum(1 for _ in archive.export_records())
    assert n > 0 and f"{n} reports archived" in r.stdout
    assert f"simulator truth: {n} reachable reports" in r.stdout


def test_demo_bad_size(tmp_path):
    r = run_nianbao("demo", "--db", str(tmp_path / "d.db"), "--size", "huge")
    assert r.returncode == 2 and "--size 'huge'" in r.stderr
