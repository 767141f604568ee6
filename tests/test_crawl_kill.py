"""SIGKILL a real `nianbao crawl` at random moments; the archive stays consistent and a re-run completes it.

The kills are placed by progress (after a random number of archived captures), not by time, so
every kill lands mid-crawl whatever the machine's speed. After each kill the archive must pass the
storage integrity checks (no version without its page capture, no cell without its version, no
capture without its blob, no unreferenced blob, one current version per report). The final archive
must hold exactly the simulator's truth (the same reports an uninterrupted crawl archives, see
test_crawl_simulator.py), with one version each.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import time

import pytest
from crawl_helpers import FAST, PYTHON, REPO, crawl
from proc_helpers import descendants

from simulator import build_world, serve_world
from storage.archive import Archive

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def _captures(db: str) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(con.execute("select count(*) from captures").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0  # not created yet / schema being migrated


def _comparable(records: list[dict]) -> dict[str, tuple]:
    return {
        r["url"]: (r["agency"], r["year"], r["template"], r["source"], json.dumps(r["cells"], sort_keys=True))
        for r in records
    }


def _start_crawl(db: str, sources: object, **popen: object) -> subprocess.Popen:
    """A real `nianbao crawl` of ``sources`` into ``db``, unthrottled (so with its worker processes)."""
    popen.setdefault("stdout", subprocess.DEVNULL)
    popen.setdefault("stderr", subprocess.DEVNULL)
    return subprocess.Popen(  # type: ignore[call-overload]
        [PYTHON, "-m", "nianbao", "crawl", "--db", db, *FAST, "--sources", str(sources)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, **popen,
    )


def _wait_for_captures(proc: subprocess.Popen, db: str, target: int) -> None:
    """Until the crawl has archived ``target`` captures (or ended, or two minutes passed)."""
    deadline = time.monotonic() + 120
    while proc.poll() is None and _captures(db) < target and time.monotonic() < deadline:
        time.sleep(0.05)  # each poll opens the database: keep the crawl's CPU for the crawl


def test_sigkill_at_random_points_then_rerun_completes(tmp_path):
    seed = int(os.environ.get("NIANBAO_KILL_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    db = str(tmp_path / "killed.db")
    world = build_world(5, "tiny")
    with serve_world(world) as running:
        sources = tmp_path / "sources.json"
        sources.write_text(json.dumps(running.sources(), ensure_ascii=False), encoding="utf-8")
        kills = 0
        for _ in range(3):
            target = _captures(db) + rng.randint(3, 40)
            proc = _start_crawl(db, sources)
            _wait_for_captures(proc, db, target)
            if proc.poll() is None:
                time.sleep(rng.random() * 0.2)  # somewhere inside the next write
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(timeout=30)
            with Archive.open(db) as archive:
                assert archive.integrity_problems() == [], f"seed {seed}, after kill {kills}"
        assert kills >= 2, f"seed {seed}: the crawl finished before it could be killed"
        final = crawl(db, "--sources", str(sources), timeout=200)
        assert final.returncode in (0, 1), final.stderr[-2000:]
        truth = {t.url: t for t in running.truth().reports}
    with Archive.open(db) as archive:
        assert archive.integrity_problems() == []
        records = list(archive.export_records())
        stats = archive.stats()
    got = _comparable(records)
    assert set(got) == set(truth), f"seed {seed}"
    assert len(records) == len(truth) == stats["reports"] == stats["report_versions"], f"seed {seed}"
    # exactly the truth, as an uninterrupted crawl: agency, year and every cell of every report
    wrong = sorted(
        u for u, t in truth.items() if (got[u][0], got[u][1], json.loads(got[u][4])) != (t.agency, t.year, t.cells)
    )
    assert not wrong, f"seed {seed}: {len(wrong)}/{len(truth)} reports differ from the truth: {wrong}"


def test_ctrl_c_stops_the_crawl_and_its_workers_cleanly(tmp_path):
    """Ctrl-C at a terminal reaches the crawl's whole process group (parse worker, archive writer): the
    crawl stops gracefully with 130, the workers finish what they hold instead of dying in a
    KeyboardInterrupt, the run is recorded as interrupted and a re-run completes the archive."""
    db = str(tmp_path / "interrupted.db")
    world = build_world(5, "tiny")
    with serve_world(world) as running:
        sources = tmp_path / "sources.json"
        sources.write_text(json.dumps(running.sources(), ensure_ascii=False), encoding="utf-8")
        proc = _start_crawl(db, sources, stderr=subprocess.PIPE, text=True, start_new_session=True)
        _wait_for_captures(proc, db, 10)
        assert proc.poll() is None, "the crawl finished before it could be interrupted"
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err[-2000:]
        assert "Traceback" not in err and "pool broken" not in err and "writer process died" not in err, err[-2000:]
        with Archive.open(db) as archive:
            assert archive.integrity_problems() == []
        con = sqlite3.connect(db)
        try:
            assert con.execute("select outcome from crawl_runs order by id desc").fetchone()[0] == "interrupted"
        finally:
            con.close()
        final = crawl(db, "--sources", str(sources), timeout=200)
        assert final.returncode in (0, 1), final.stderr[-2000:]
        truth = {t.url for t in running.truth().reports}
    with Archive.open(db) as archive:
        assert {r["url"] for r in archive.export_records()} == truth


def test_worker_processes_killed_mid_crawl_lose_nothing(tmp_path):
    """The OOM killer takes the parse worker and the archive writer (and the forkserver) mid-crawl:
    the crawl carries on in its own process, and the archive ends up with exactly the truth."""
    db = str(tmp_path / "workers_killed.db")
    world = build_world(5, "tiny")
    with serve_world(world) as running:
        sources = tmp_path / "sources.json"
        sources.write_text(json.dumps(running.sources(), ensure_ascii=False), encoding="utf-8")
        proc = _start_crawl(db, sources, stderr=subprocess.PIPE, text=True)
        _wait_for_captures(proc, db, 10)
        workers = descendants(proc.pid)
        assert proc.poll() is None and workers, "the crawl finished before its workers could be killed"
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=200)
        assert proc.returncode in (0, 1), err[-2000:]
        # each pool says once that it is gone, and the crawl went on without it
        assert err.count("archive writer process died") == 1 and err.count("pool broken") == 1, err[-2000:]
        truth = {t.url: t for t in running.truth().reports}
    with Archive.open(db) as archive:
        assert archive.integrity_problems() == []
        records = list(archive.export_records())
    got = {r["url"]: (r["agency"], r["year"], r["cells"]) for r in records}
    assert set(got) == set(truth)
    assert all(got[u] == (t.agency, t.year, t.cells) for u, t in truth.items())
