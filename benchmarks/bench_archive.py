"""record_report throughput: full-size reports (every v2019 cell key, check instances, sections,
a ~40 kB unique page each) recorded into a fresh archive.

Run: .venv/bin/python benchmarks/bench_archive.py [N] [DB_URL]
     (default: 1000 reports into a SQLite file in a temp dir)
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from crawler.parsing.result import Cell, CheckResult, Metadata, ParseResult
from crawler.parsing.schema import T3_COLUMNS, keys_for
from storage.archive import Archive
from storage.records import FetchedResponse, PortalInfo

PORTAL = PortalInfo(name="基准县人民政府", region_code="610000", province="陕西省", city="某市", county="基准县")
FILLER = ("<p>2020年，我县认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外。</p>" * 120)


def make(i: int) -> tuple[FetchedResponse, ParseResult]:
    cells = {k: Cell(k, (i + j) % 50, str((i + j) % 50)) for j, k in enumerate(keys_for("v2019"))}
    checks = [CheckResult("t3_flow", c, "pass", "ok") for c in T3_COLUMNS]
    checks += [CheckResult("t3_row_total", r, "fail", "x") for r in ("new_received", "carried_over", "granted")]
    checks += [CheckResult("t4_subtotals", r, "pass", "ok") for r in ("review", "lit_direct", "lit_after")]
    parsed = ParseResult(
        status="ok",
        template="v2019",
        metadata=Metadata(title=f"单位{i}2020年政府信息公开工作年度报告", agency=f"单位{i % 400}",
                          agency_kind="department", year=2015 + i // 400, published=dt.date(2021, 1, 20)),
        cells=cells,
        checks=checks,
        sections={f"s{k}": FILLER[:400] for k in range(6)},
        parser_version="bench",
    )
    body = f"<html><body><h1>{i}</h1>{FILLER}</body></html>".encode()
    page = FetchedResponse(url=f"http://127.0.0.1/r/{i}.html", final_url=f"http://127.0.0.1/r/{i}.html", status=200,
                           body=body, response_headers=[("Content-Type", "text/html; charset=utf-8")])
    return page, parsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    url = sys.argv[2] if len(sys.argv) > 2 else str(Path(tempfile.mkdtemp()) / "bench.db")
    items = [make(i) for i in range(n)]
    with Archive.open(url) as archive:
        run = archive.start_run("bench", {})
        t0, c0 = time.perf_counter(), time.process_time()
        for page, parsed in items:
            archive.record_report(run_id=run, portal=PORTAL, page=page, parsed=parsed)
        t1, c1 = time.perf_counter(), time.process_time()
        records = sum(1 for _ in archive.export_records())
        t2 = time.perf_counter()
        stats = archive.stats()
    print(f"{url}: {n} reports recorded in {t1 - t0:.2f} s = {n / (t1 - t0):.0f} reports/s "
          f"(CPU {1000 * (c1 - c0) / n:.2f} ms/report = {n / (c1 - c0):.0f}/s per core) "
          f"({stats['cells']} cells); export of {records} records in {t2 - t1:.2f} s "
          f"= {records / (t2 - t1):.0f} records/s; blobs {stats['blob_bytes'] / 1e6:.1f} MB -> "
          f"{stats['blob_stored_bytes'] / 1e6:.2f} MB stored")


if __name__ == "__main__":
    main()
