"""Export throughput and peak memory of `nianbao export`, serve start-up (search index) and snapshot.

    .venv/bin/python benchmarks/bench_export.py [--reports 2000] [--workdir DIR]

Builds two SQLite archives through the Archive API (``--reports`` and 4x as many reports, each a
complete v2021 report of ~200 cells, checks and sections), then runs every export format, the
search-index build and a snapshot as subprocesses, recording wall time and the child's peak RSS.
"Constant memory" means the peak RSS of the 4x archive stays close to the 1x one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PY = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv").exists() else sys.executable


def build(path: Path, n: int) -> float:
    from crawler.parsing.result import Cell, CheckResult, Metadata, ParseResult
    from crawler.parsing.schema import keys_for
    from storage.archive import Archive
    from storage.records import FetchedResponse, PortalInfo

    keys = keys_for("v2021")
    start = time.perf_counter()
    with Archive.open(str(path)) as a:
        for i in range(n):
            county = i // 50
            portal = PortalInfo(name=f"县{county}", region_code=f"{320500 + county:06d}", province="江苏省",
                                city="苏州市", county=f"第{county}县")
            year = 2019 + i % 5
            agency = f"第{county}县第{(i % 50) // 5}局"
            cells = {k: Cell(k, (i * 7 + j) % 50, f"{(i * 7 + j) % 50}件") for j, k in enumerate(keys)}
            parsed = ParseResult(
                status="ok", template="v2021", source="html",
                metadata=Metadata(title=f"{agency}{year}年政府信息公开工作年度报告", agency=agency, year=year,
                                  agency_kind="department", published=dt.date(year + 1, 1, 15)),
                cells=cells,
                checks=[CheckResult("t3_flow", c, "pass", "ok") for c in ("natural_person", "total")],
                sections={"overall": "一、总体情况 " * 40, "problems": "五、存在的主要问题和改进情况 " * 20},
                parser_version="bench",
            )
            body = f"<html><title>{agency}{year}</title><body>{i}</body></html>".encode()
            page = FetchedResponse(url=f"http://127.0.0.1/{i}.html", final_url=f"http://127.0.0.1/{i}.html",
                                   status=200, body=body, response_headers=[("Content-Type", "text/html")])
            a.record_report(run_id=None, portal=portal, page=page, parsed=parsed)
    return time.perf_counter() - start


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one subprocess (run each in its own python for a clean RSS)."""
    wrapper = (
        "import resource, subprocess, sys, json; p = subprocess.run(sys.argv[1:]);"
        "print(json.dumps([p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))"
    )
    start = time.perf_counter()
    out = subprocess.run([PY, "-c", wrapper, *cmd], capture_output=True, text=True, cwd=REPO, check=True)
    wall = time.perf_counter() - start
    rc, rss_kb = json.loads(out.stdout.strip().splitlines()[-1])
    if rc != 0:
        raise SystemExit(f"{cmd} failed: {out.stderr}")
    return wall, rss_kb / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=2000)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="nianbao-bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, float]] = {}
    for scale in (1, 4):
        n = args.reports * scale
        db = work / f"archive_{n}.db"
        if not db.exists():
            secs = build(db, n)
            print(f"built {n} reports in {secs:.1f} s ({db.stat().st_size / 1e6:.0f} MB)", file=sys.stderr)
        row: dict[str, float] = {"reports": n}
        for fmt in ("jsonl", "csv", "parquet"):
            out = work / f"out_{n}_{fmt}"
            out.mkdir(exist_ok=True)
            wall, rss = run([PY, "-m", "nianbao", "export", "--db", str(db), "--format", fmt, "--out", str(out)])
            row[f"{fmt}_s"] = round(wall, 2)
            row[f"{fmt}_rss_mb"] = round(rss, 1)
        side = Path(f"{db}.search.db")
        side.unlink(missing_ok=True)
        code = (
            "import sys; from pathlib import Path; from nianbao.serve import prepare_search_index;"
            f"prepare_search_index(Path({str(db)!r}))"
        )
        wall, rss = run([PY, "-c", code])
        row["search_index_s"], row["search_index_rss_mb"] = round(wall, 2), round(rss, 1)
        snap = work / f"snap_{n}.db"
        snap.unlink(missing_ok=True)
        wall, rss = run([PY, "-m", "nianbao", "snapshot", "--db", str(db), "--out", str(snap)])
        row["snapshot_s"], row["snapshot_rss_mb"] = round(wall, 2), round(rss, 1)
        results[str(n)] = row
        print(json.dumps(row), file=sys.stderr)
    print(json.dumps(results, indent=1))
    print(f"(work files in {work})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
