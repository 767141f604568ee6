"""A `nianbao reparse` process group SIGKILLed mid-run leaves every report fully old or fully new
(exactly: new where the run's recorded progress says so, old elsewhere), and a restart resumes the
same parse_runs row and completes it with exact counts. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from reparse_helpers import OLD_VERSION, populate

from crawler.parsing import PARSER_VERSION
from nianbao.reparse import run_reparse
from storage.archive import Archive

REPO = Path(__file__).resolve().parents[1]
N = 64


def _progress(url: str) -> tuple[int | None, str | None]:
    with Archive.open(url, upgrade=False) as archive:
        runs = archive.parse_runs()
    return (runs[0]["last_report_id"], runs[0]["outcome"]) if runs else (None, None)


def _committed(url: str) -> set[int]:
    """Report ids the run's row says are done: up to last_report_id, plus the ranges workers
    committed beyond it (out of order, PostgreSQL)."""
    with Archive.open(url, upgrade=False) as archive:
        row = archive.parse_runs()[0]
    ranges = [(0, row["last_report_id"] or 0)] + [tuple(r) for r in (row["counts"] or {}).get("_done", [])]
    return {i for i in range(1, N + 1) if any(a < i <= b for a, b in ranges)}


def test_sigkill_mid_run_then_restart(db_url: str, tmp_path: Path) -> None:
    stored = populate(db_url, N, kinds=("drop3", "value"))  # every report changes
    log = open(tmp_path / "reparse.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "nianbao", "reparse", "--db", db_url, "--workers", "2"],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        mark = None
        while time.monotonic() < deadline and proc.poll() is None:
            mark, _ = _progress(db_url)
            if mark is not None:
                break
            time.sleep(0.02)
        assert proc.poll() is None, (tmp_path / "reparse.log").read_text(errors="replace")
        assert mark is not None, "no batch committed within the deadline"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()

    last, outcome = _progress(db_url)
    assert outcome == "running" and last is not None
    with Archive.open(db_url) as archive:
        records = {(r["agency"], r["year"]): r for r in archive.export_records()}
        new = set()
        for s in stored:
            hist = [
                (h["version_no"], h["is_current"], h["parser_version"])
                for h in archive.report_history(s.report_id)
            ]
            rec = records[(s.good.metadata.agency, s.good.metadata.year)]
            if hist == [(1, True, OLD_VERSION)]:
                assert rec["cells"] == {k: c.value for k, c in sorted(s.old.cells.items())}
            else:
                assert hist == [(1, False, OLD_VERSION), (2, True, PARSER_VERSION)]
                assert rec["cells"] == {k: c.value for k, c in sorted(s.good.cells.items())}
                new.add(s.report_id)
        # no half-written version anywhere: the cell rows are exactly those of whole versions
        want_cells = sum(len(s.old.cells) for s in stored) + sum(
            len(s.good.cells) for s in stored if s.report_id in new
        )
        assert archive.stats()["cells"] == want_cells
    assert new == {s.report_id for s in stored} & _committed(db_url)
    assert 0 < len(new) < N, f"kill came too late to test anything ({len(new)} of {N} done)"

    summary = run_reparse(db_url, workers=2, progress=io.StringIO())
    assert summary.resumed_from == last and summary.parse_run_id == 1 and summary.outcome == "finished"
    assert (
        summary.counts["changed"] == N and summary.counts["reparsed"] == N and summary.counts["errors"] == 0
    )
    with Archive.open(db_url) as archive:
        assert all(
            archive.report_history(s.report_id)[-1]["parser_version"] == PARSER_VERSION for s in stored
        )
        assert [(r["id"], r["outcome"]) for r in archive.parse_runs()] == [(1, "finished")]
