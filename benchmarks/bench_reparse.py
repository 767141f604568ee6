"""`nianbao reparse` throughput and memory on a large archive, SQLite and PostgreSQL.

What it does, per database:
1. stores --reports simulator report pages (simulator.render.render_report_html, every HTML variant
   in rotation, 10 report years) through Archive.record_report, each with the result of a pretended
   older parser (version 0.9.0: the truth cells, raw text = the number; no parsing), except year
   2024, stored with the current parser's own result under the old label (re-parse: "unchanged");
2. measures the pure parse rate (nianbao.reparse.parse_stored, as the workers parse, in a fresh
   process like theirs) of every report the next run re-parses, each parsed once, right before and
   right after the run (see selection_parse_rate, fresh_selection_parse_rate);
3. re-parses one report year with 1 worker, two other years with 2 workers (every report gets a new
   version: the worst case), year 2024 with 2 workers (content unchanged: only the parser version is
   confirmed, the common case of a parser bump), on SQLite two more years with 2 workers that write
   their own batches (PostgreSQL's way, for comparison with SQLite's single writer), and with --full
   the remaining years with 2 workers (disjoint selections of the same archive, so no run sees
   another's work); reports/s against parse rate x workers (goal: >= 0.8), and - since a shared, busy box
   makes wall-clock rates drift - the steady-state CPU seconds per report of the whole process tree
   (parent, forkserver, workers; read from /proc between progress updates) against CPU per pure parse
   (with 2 workers also against the CPU per page of 2 processes parsing at once); and the in-run
   ratio (Summary.parse_share): the workers' own parse CPU over the run's wall seconds x workers,
   the same ratio with both halves measured at once, which the drift cannot skew;
4. samples the RSS of the reparse process and its workers while it runs (at ~2k reports done and
   at the end of the largest run: flat means streaming works).

With ``--archive DB`` the archive is instead a copy of a crawled one (see bench_crawled: real pages and
attachments in a simulator world's proportions), on each --db.

Run:  .venv/bin/python benchmarks/bench_reparse.py [--reports 10000] [--db sqlite,postgresql] [--full]
      .venv/bin/python benchmarks/bench_reparse.py --archive /tmp/crawl/bench.db   # bench_crawl.py --workdir
PostgreSQL: a scratch database nianbao_bench_<random> on 127.0.0.1:5432 (user postgres or root), dropped after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import re
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from proc_helpers import cpu_seconds, descendants, rss_bytes  # the kill tests read the same tree

REPORTS_PER_YEAR_DIV = 10  # report years 2015..2024
UNCHANGED_YEAR = 2024  # stored with the current parser's own result: a re-parse only confirms it
HEADERS = {"content-type": "text/html; charset=utf-8"}


def tree_rss_mb() -> tuple[float, float, float]:
    """(this process RSS MB, RSS MB of it + all descendants, CPU seconds of it + live descendants)."""
    me = os.getpid()
    tree = [me, *descendants(me)]
    total = sum(rss_bytes(p) for p in tree)
    return rss_bytes(me) / 2**20, total / 2**20, sum(cpu_seconds(p) for p in tree)


class RssProbe(io.TextIOBase):
    """A fake terminal for the progress line: records (reports done, RSS) at every update."""

    def __init__(self) -> None:
        self.samples: list[tuple[int, float, float, float, float]] = []  # done, RSS, tree RSS, tree CPU, time

    def isatty(self) -> bool:
        return True

    def write(self, s: str) -> int:
        m = re.search(r"reparse: ([\d,]+)/", s)
        if m:
            self.samples.append((int(m[1].replace(",", "")), *tree_rss_mb(), time.monotonic()))
        return len(s)


def make_archive(url: str, n: int) -> None:
    from crawler.parsing import parse_document
    from crawler.parsing.result import Cell, Metadata, ParseResult
    from simulator.cells import make_cells
    from simulator.render import HTML_VARIANTS, render_report_html
    from simulator.spec import ReportSpec
    from storage.archive import Archive
    from storage.records import FetchedResponse, PortalInfo

    portal = PortalInfo(
        name="基准县人民政府", region_code="610000", province="陕西省", city="某市", county="基准县"
    )
    per_year = max(n // REPORTS_PER_YEAR_DIV, 1)
    with Archive.open(url) as archive:
        run = archive.start_run("bench", {})
        for i in range(n):
            year = 2015 + i // per_year
            agency = f"基准县第{i % per_year}局"
            cells = make_cells(11, agency, "department", year, "v2019", None)
            spec = ReportSpec(
                agency=agency,
                agency_kind="department",
                year=year,
                template="v2019",
                title=f"{agency}{year}年政府信息公开工作年度报告",
                cells=cells,
                index_no=f"11610000/{year + 1}-{i:05d}",
                issuer=agency,
                published=dt.date(year + 1, 1, 20),
            )
            variant = HTML_VARIANTS[i % len(HTML_VARIANTS)]
            body = (
                f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{spec.title}</title></head><body>'
                f"{render_report_html(spec, variant)}</body></html>"
            ).encode()
            if year == UNCHANGED_YEAR:  # what the current parser makes of it, labelled as an older parser
                old = replace(
                    parse_document(body, "http://127.0.0.1/bench/x.html", HEADERS), parser_version="0.9.0"
                )
            else:
                old = ParseResult(
                    status="ok",
                    template="v2019",
                    parser_version="0.9.0",
                    metadata=Metadata(
                        title=spec.title,
                        agency=agency,
                        agency_kind="department",
                        year=year,
                        published=spec.published,
                        index_no=spec.index_no,
                        issuer=agency,
                    ),
                    cells={k: Cell(k, v, "" if v is None else str(v)) for k, v in cells.items()},
                )
            page = FetchedResponse(
                url=f"http://127.0.0.1/bench/{i}.html",
                final_url=f"http://127.0.0.1/bench/{i}.html",
                status=200,
                body=body,
                response_headers=[("Content-Type", "text/html; charset=utf-8")],
            )
            archive.record_report(run_id=run, portal=portal, page=page, parsed=old)
        archive.finish_run(run, "finished", {})


def _parse_one(item: Any) -> None:
    """Parse a stored report (page + attachments, read as a re-parse reads it) as the re-parse does."""
    from nianbao.reparse import parse_stored

    parse_stored(item)


def parse_rate(items: list[Any]) -> tuple[float, float]:
    """(items/s wall, CPU seconds per item) of parsing ``items`` in this process, each once."""
    t0, c0 = time.perf_counter(), time.process_time()
    for item in items:
        _parse_one(item)
    return len(items) / (time.perf_counter() - t0), (time.process_time() - c0) / len(items)


def _sample(url: str, years: list[int]) -> list[Any]:
    """200 of the selection's reports, evenly spread, read as a re-parse reads them."""
    from storage.archive import Archive

    with Archive.open(url, readonly=True) as archive:
        ids = [c.report_id for c in archive.reparse_candidates({"year": years}, 0, 10_000_000)]
        return archive.reparse_inputs(ids[:: max(len(ids) // 200, 1)][:200], cells=False)


def selection_parse_rate(url: str, years: list[int], warm: int = 40) -> tuple[float, float]:
    """(reports/s wall, CPU seconds per report) of the pure parse of the reports
    the run will re-parse, each once, as the workers see them: read like a re-parse reads them
    (only the parse calls are timed), in this process (the bench calls it in a fresh one: see
    fresh_selection_parse_rate), after an untimed pass over the first ``warm`` of them (a first
    PDF, DOCX, ... parse imports and initialises its library), which are then left out of the timing.

    Each report is timed on its first parse: a page parsed a second time finds the parser's label
    and cell caches filled with its own texts, which the re-parse never does (~3% faster), and a
    200-report sample stands in poorly for a mix where a PDF report parses ten times slower than an
    HTML one. The bench once timed a second pass over such a sample: 0-35% above this figure."""
    from storage.archive import Archive

    with Archive.open(url, readonly=True) as archive:
        ids = [c.report_id for c in archive.reparse_candidates({"year": years}, 0, 10_000_000)]
        if not ids:
            raise SystemExit(f"no stored reports of the years {years} to parse")
        warm = min(warm, len(ids) // 10)
        if warm:
            parse_rate(archive.reparse_inputs(ids[:warm], cells=False))  # untimed warm-up
        timed = ids[warm:]
        wall = cpu = 0.0
        for i in range(0, len(timed), 48):
            batch = archive.reparse_inputs(timed[i : i + 48], cells=False)
            rate, cpu_each = parse_rate(batch)
            wall += len(batch) / rate
            cpu += cpu_each * len(batch)
    return len(timed) / wall, cpu / len(timed)


def _fresh_selection_parse_rate(url: str, years: list[int]) -> tuple[float, float]:
    """selection_parse_rate, (rate, CPU) only, in the spawned process that runs this."""
    import gc

    gc.freeze()  # as the re-parse workers do after their start-up
    return selection_parse_rate(url, years)


def fresh_selection_parse_rate(url: str, years: list[int]) -> tuple[float, float]:
    """(reports/s, CPU seconds per report) of selection_parse_rate in a FRESH (spawned) process, as
    fresh as a re-parse worker: this long-lived process has parsed earlier selections and holds
    their leftovers (measured alternately on one selection, three times: 1-8% slower here than in
    a fresh process, which flattered the ratio)."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        rate, cpu = pool.apply(_fresh_selection_parse_rate, (url, years))
    return rate, cpu


def _fresh_parse_cpu(items: list[Any]) -> float:
    """CPU seconds per item of a fresh process parsing ``items[40:]`` once each, after an untimed
    pass over ``items[:40]`` (imports, libraries)."""
    parse_rate(items[:40])
    return parse_rate(items[40:])[1]


def parallel_parse_cpu(items: list[Any], processes: int) -> float:
    """CPU seconds per item of pure parsing when ``processes`` fresh processes parse at once, as the
    workers do: on a small or shared machine each parses slower than one alone (shared caches,
    memory bandwidth, the host's other load), which the re-parse cannot help. Fresh (spawned)
    processes: a fork of this one would inherit parser caches holding these very pages."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return sum(pool.map(_fresh_parse_cpu, [items] * processes)) / processes


def bench_one(kind: str, url: str, n: int, full: bool) -> None:
    t0 = time.perf_counter()
    make_archive(url, n)
    t1 = time.perf_counter()
    print(f"[{kind}] stored {n:,} reports in {t1 - t0:.0f} s ({n / (t1 - t0):.0f}/s)", flush=True)
    settle(kind, url)
    per_year = max(n // REPORTS_PER_YEAR_DIV, 1)
    # (workers, years, workers write their batches: None = the default, PostgreSQL only)
    runs: list[tuple[int, list[int], bool | None]] = [
        (1, [2015], None),
        (2, [2016, 2017], None),
        (2, [UNCHANGED_YEAR], None),
    ]
    if kind == "sqlite":  # the alternative to SQLite's single writer, for comparison
        runs.append((2, [2018, 2019], True))
    if full:
        runs.append((2, list(range(2020, UNCHANGED_YEAR)), None))
    measure_runs(kind, url, runs, {y: per_year for y in range(2015, UNCHANGED_YEAR + 1)})
    print_sizes(kind, url)


def bench_crawled(kind: str, url: str, source: str) -> None:
    """The same measurements on a copy of a CRAWLED archive (e.g. bench_crawl.py --workdir's
    bench.db): real pages with their PDF/DOCX/XLSX attachments in the world's proportions. Its
    reports were parsed by the current parser, so each selection is first made to look older: the
    current versions get an older parser version ("unchanged" runs: the re-parse only confirms), and
    for the "changed" runs also a different content hash (every report gets a new version written,
    the worst case; its cells equal the old ones, so the diff itself is short)."""
    from sqlalchemy import text

    from storage.archive import open_engine
    from storage.snapshot import copy_archive

    t0 = time.perf_counter()
    copy_archive(source, url)
    engine, _ = open_engine(url)
    with engine.connect() as conn:
        per_year = {
            int(y): int(c)
            for y, c in conn.execute(
                text(
                    "SELECT r.year, count(*) FROM reports r JOIN report_versions v ON v.report_id = r.id "
                    "WHERE v.is_current AND r.year IS NOT NULL GROUP BY r.year ORDER BY r.year"
                )
            )
        }
    total = sum(per_year.values())
    print(f"[{kind}] copied the crawled archive ({total:,} reports with a year) in {time.perf_counter() - t0:.0f} s",
          flush=True)  # fmt: skip
    # disjoint year groups: ~1/5 of the reports for 1 worker, ~2/5 each for the two 2-worker runs
    years = sorted(per_year)
    groups: list[list[int]] = [[], [], []]
    shares = [0.2, 0.4, 0.4]
    for y in years:
        i = next((k for k in range(3) if sum(per_year[x] for x in groups[k]) < shares[k] * total), 2)
        groups[i].append(y)
    runs: list[tuple[int, list[int], bool | None]] = [
        (1, groups[0], None),
        (2, groups[1], None),
        (2, groups[2], None),
    ]
    with engine.begin() as conn:
        for i, group in enumerate(groups):
            changed = ", content_hash = substr(content_hash, 2) || 'x'" if i < 2 else ""
            conn.execute(
                text(
                    f"UPDATE report_versions SET parser_version = '0.9.0'{changed} WHERE is_current AND report_id IN "
                    f"(SELECT id FROM reports WHERE year IN ({', '.join(str(y) for y in group)}))"
                )
            )
    engine.dispose()
    settle(kind, url)

    measure_runs(kind, url, runs, per_year)
    print_sizes(kind, url)


def settle(kind: str, url: str) -> None:
    """Let the database settle after the bulk load, before anything is timed: VACUUM ANALYZE on
    PostgreSQL (else autovacuum/autoanalyze of the fresh tables runs during the first re-parse and
    halves its rate, run to run), a WAL checkpoint on SQLite."""
    from storage.archive import open_engine

    engine, _ = open_engine(url)
    try:
        with engine.connect() as conn:
            if kind == "postgresql":
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
            else:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def print_sizes(kind: str, url: str) -> None:
    """On-disk size of the archive's content tables (PostgreSQL, with indexes and TOAST) or of the
    whole SQLite file."""
    from sqlalchemy import text

    from storage.archive import open_engine

    engine, _ = open_engine(url)
    try:
        with engine.connect() as conn:
            if kind == "postgresql":  # the schema of any revision: tables it lacks (or views) are left out
                tables = ("report_versions", "version_cells", "version_checks", "cells", "checks", "sections")
                sizes = {
                    t: int(v)
                    for t in tables
                    if (
                        v := conn.execute(text(f"SELECT pg_total_relation_size(to_regclass('{t}'))")).scalar()
                    )
                }
                total = int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
                detail = ", ".join(f"{t} {v / 2**20:.1f}" for t, v in sizes.items())
                print(f"[{kind}] sizes (MB): {detail}; whole database {total / 2**20:.0f}", flush=True)
            else:
                path = url.removeprefix("sqlite:///")
                print(f"[{kind}] archive file {os.path.getsize(path) / 2**20:.0f} MB", flush=True)
    finally:
        engine.dispose()


def measure_runs(
    kind: str,
    url: str,
    runs: list[tuple[int, list[int], bool | None]],
    per_year: dict[int, int],
) -> None:
    from nianbao.reparse import run_reparse

    for workers, years, workers_write in runs:
        # Measured on the run's own reports right before AND right after the run, in fresh processes:
        # the box's speed drifts by 10% and more within minutes (a shared VM), so the run is compared
        # with the mean of the two (the per-report times averaged), and both are printed.
        before, cpu_before = fresh_selection_parse_rate(url, years)
        sample = _sample(url, years)
        kinds: dict[str, int] = {}
        for st in sample:
            for att in st.attachments:
                ext = att.final_url.rsplit(".", 1)[-1].lower()[:5]
                kinds[ext] = kinds.get(ext, 0) + 1
        n_sel = sum(per_year.get(y, 0) for y in years)
        print(
            f"[{kind}]   pure parse of the run's {n_sel:,} reports, each once, in a fresh process, before the "
            f"run: {before:.1f} reports/s, {1000 * cpu_before:.2f} ms CPU each (200-report sample's attachments: "
            f"{kinds})",
            flush=True,
        )
        probe = RssProbe()
        s = run_reparse(url, workers=workers, year=years, progress=probe, workers_write=workers_write)
        after, cpu_after = fresh_selection_parse_rate(url, years)
        rate = 2 / (1 / before + 1 / after)  # the mean time per report of the two
        parse_cpu = (cpu_before + cpu_after) / 2
        done = s.counts["reparsed"]
        got = done / s.seconds
        how = " (workers write)" if workers_write else ""
        print(
            f"[{kind}]   the same after the run: {after:.1f} reports/s, {1000 * cpu_after:.2f} ms CPU each; "
            f"mean {rate:.1f} reports/s",
            flush=True,
        )
        print(
            f"[{kind}] {workers} worker(s){how}, years {years[0]}-{years[-1]} ({n_sel:,} reports): "
            f"{done:,} re-parsed ({s.counts['changed']:,} changed, {s.counts['unchanged']:,} unchanged, "
            f"{s.counts['errors']} errors) in {s.seconds:.1f} s "
            f"= {got:.1f} reports/s; pure parse {rate:.1f} pages/s x {workers} = {rate * workers:.1f}; "
            f"wall ratio {got / (rate * workers):.2f} (against the parse before the run alone "
            f"{got / (before * workers):.2f}, after it alone {got / (after * workers):.2f})",
            flush=True,
        )
        if s.parse_share is not None and s.parse_cpu_each is not None:
            # The same ratio with the pure parse measured inside the run itself: the CPU each worker
            # spent in parse_stored, over the run's wall seconds x workers. Both halves are taken at
            # the same moment on the same reports, so the machine's drift cancels out.
            print(
                f"[{kind}]   in-run ratio {s.parse_share:.2f}: the workers' own parsing took "
                f"{1000 * s.parse_cpu_each:.2f} ms CPU per report "
                f"(fresh process before/after: {1000 * cpu_before:.2f}/{1000 * cpu_after:.2f})",
                flush=True,
            )
        marks = [x for x in probe.samples if x[0] > 0]
        # after the workers' start-up, before the pool's shutdown (dead workers leave the /proc tree)
        steady = [x for x in marks if done * 0.1 <= x[0] < done]
        if len(steady) >= 2 and steady[-1][0] > steady[0][0]:
            n_steady = steady[-1][0] - steady[0][0]
            cpu = (steady[-1][3] - steady[0][3]) / n_steady
            wall = n_steady / max(steady[-1][4] - steady[0][4], 1e-9)
            print(
                f"[{kind}]   steady-state CPU {1000 * cpu:.1f} ms/report (parent + forkserver + workers) vs pure "
                f"parse {1000 * parse_cpu:.1f} ms/page: CPU ratio {parse_cpu / cpu:.2f}; steady-state wall "
                f"{wall:.1f} reports/s (no pool start-up/shutdown): ratio {wall / (rate * workers):.2f}",
                flush=True,
            )
            if workers > 1:
                alone, together = parallel_parse_cpu(sample, 1), parallel_parse_cpu(sample, workers)
                print(
                    f"[{kind}]   pure parse of the 200-report sample, one process alone {1000 * alone:.1f} ms/page, "
                    f"{workers} processes at once {1000 * together:.1f} ms/page (x{together / alone:.2f}); "
                    f"CPU ratio against that {together * parse_cpu / alone / cpu:.2f}",
                    flush=True,
                )
        if marks:
            live = [x for x in marks if x[0] < done] or marks  # the pool is still up
            at2k = min(live, key=lambda x: abs(x[0] - 2000))
            last = live[-1]
            peak = max(x[2] for x in marks)
            print(
                f"[{kind}]   RSS parent/tree: {at2k[1]:.0f}/{at2k[2]:.0f} MB at {at2k[0]:,} reports, "
                f"{last[1]:.0f}/{last[2]:.0f} MB at {last[0]:,}; tree peak {peak:.0f} MB",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--full", action="store_true", help="also re-parse all remaining years with 2 workers")
    ap.add_argument(
        "--archive", metavar="DB", help="measure on a copy of this crawled archive instead of synthetic pages"
    )
    args = ap.parse_args()
    for kind in args.db.split(","):
        if kind == "sqlite":
            path = Path(tempfile.mkdtemp()) / "bench.db"
            if args.archive:
                bench_crawled(kind, f"sqlite:///{path}", args.archive)
            else:
                bench_one(kind, f"sqlite:///{path}", args.reports, args.full)
        elif kind == "postgresql":
            import psycopg
            from psycopg import sql

            admin = None
            for user in ("postgres", "root"):
                try:
                    admin = psycopg.connect(host="127.0.0.1", dbname="test", user=user, autocommit=True)
                    break
                except psycopg.OperationalError:
                    continue
            assert admin is not None, "PostgreSQL on 127.0.0.1:5432 not reachable"
            name = f"nianbao_bench_{uuid.uuid4().hex[:12]}"
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            try:
                user = admin.info.user
                pg = f"postgresql+psycopg://{user}@127.0.0.1:5432/{name}"
                if args.archive:
                    bench_crawled(kind, pg, args.archive)
                else:
                    bench_one(kind, pg, args.reports, args.full)
            finally:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
                admin.close()
        else:
            raise SystemExit(f"unknown --db {kind!r}")


if __name__ == "__main__":
    main()
