"""`nianbao demo`: serve the bundled simulated county portals on loopback, crawl them, summarise.

Needs no network: every portal runs on its own 127.0.0.x address inside this process. Throttling
is relaxed (the "servers" are ours), everything else — robots.txt, retries, conditional requests,
the archive — is the real crawl, so the demo doubles as a smoke test of the whole pipeline.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from crawler.sources import parse_sources
from nianbao.crawl import EXIT_CANNOT_RUN

# The simulator is local: no reason to wait between requests. Retries stay on (it has a 500 page).
DEMO_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "RETRY_TIMES": "2",
    "DOWNLOAD_TIMEOUT": "20",
}


def _size(value: str) -> int | str:
    from simulator import SIZES

    if value in SIZES:
        return value
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"--size {value!r}: expected one of {', '.join(SIZES)} or a report count") from None
    if n < 1:
        raise ValueError("--size: the report count must be positive")
    return n


def summarise(records: list[dict[str, Any]], stats: dict[str, Any], out: TextIO = sys.stdout) -> None:
    """Portals, pages, reports by year and template, check verdicts — what a researcher asks first."""
    portals = {k: v for k, v in stats.items() if not k.startswith("_")}
    pages = sum(s["pages"] for s in portals.values())
    mb = sum(s["bytes"] for s in portals.values()) / 1e6
    print(f"\n{len(portals)} portals, {pages} pages ({mb:.1f} MB), {len(records)} reports archived", file=out)
    by = Counter((r["year"], r["template"]) for r in records)
    years = sorted({y for y, _ in by}, key=lambda y: (y is None, y))
    templates = sorted({t for _, t in by})
    print("\nreports by year and template:", file=out)
    print("  year   " + "".join(f"{t:>9}" for t in templates) + f"{'total':>9}", file=out)
    for y in years:
        row = [by[(y, t)] for t in templates]
        print(f"  {y!s:<6} " + "".join(f"{n:>9}" for n in row) + f"{sum(row):>9}", file=out)
    checks: dict[str, Counter[str]] = {}
    for r in records:
        for name, verdict in (r.get("checks") or {}).items():
            checks.setdefault(name, Counter())[verdict] += 1
    if checks:
        print("\naccounting checks (reports):", file=out)
        for name in sorted(checks):
            c = checks[name]
            print(f"  {name:<16} pass {c['pass']:>5}   fail {c['fail']:>5}   not assessable {c['not_assessable']:>5}", file=out)
    statuses = Counter(r.get("status") for r in records)
    print("\nparse status: " + ", ".join(f"{k} {v}" for k, v in statuses.most_common()), file=out)


def _crawl_in_child(sources: list[dict[str, Any]], args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    """Run `nianbao crawl` in a child process: the simulator's server threads and the crawl then use
    both cores instead of sharing one interpreter lock (about twice as fast on 2 cores)."""
    parse_sources(sources, origin="simulator")  # fail here, clearly, if the simulator's list is off
    with tempfile.TemporaryDirectory(prefix="nianbao-demo-") as tmp:
        src = Path(tmp) / "sources.json"
        src.write_text(json.dumps(sources, ensure_ascii=False), encoding="utf-8")
        stats_file = Path(tmp) / "stats.json"
        settings = {**DEMO_SETTINGS, "NIANBAO_RUN_KIND": "demo", "NIANBAO_STATS_FILE": str(stats_file)}
        cmd = [sys.executable, "-m", "nianbao", *(["-v"] * getattr(args, "verbose", 0)), "crawl", "--sources", str(src)]
        if args.db:
            cmd += ["--db", args.db]
        for k, v in settings.items():
            cmd += ["-s", f"{k}={v}"]
        code = subprocess.call(cmd)
        if not stats_file.exists():
            return (code or EXIT_CANNOT_RUN), {}
        return code, json.loads(stats_file.read_text(encoding="utf-8"))["stats"]


def run_demo_command(args: argparse.Namespace) -> int:
    from simulator import build_world, serve_world
    from storage.archive import Archive

    try:
        size = _size(str(args.size))
    except ValueError as exc:
        print(f"nianbao demo: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    started = time.monotonic()
    world = build_world(args.seed, size)
    with serve_world(world) as running:
        print(f"serving {len(running.portals)} simulated portals on loopback:", file=sys.stderr)
        for p in running.portals:
            print(f"  {p.name:<12} {p.home_url}", file=sys.stderr)
        code, stats = _crawl_in_child(running.sources(), args)
        if code == EXIT_CANNOT_RUN:
            return code
        with Archive.open(args.db, readonly=True) as archive:
            records = list(archive.export_records())
        summarise(records, stats)
        truth = running.truth()
        print(
            f"\nsimulator truth: {len(truth.reports)} reachable reports "
            f"(+{len(truth.disallowed)} behind robots.txt, {len(truth.blocked)} behind a WAF challenge); "
            f"crawl took {time.monotonic() - started:.1f} s"
        )
        where = args.db or "./nianbao.db"
        print(
            "\nlook at the data:\n"
            f"  nianbao export --db {where} --format csv --out reports.csv   # cells, one row per cell\n"
            f"  nianbao export --db {where} --format jsonl | head              # one JSON object per report\n"
            f"  nianbao serve --db {where}                                     # browse it (Datasette)"
        )
        if getattr(args, "keep_serving", False):
            print("\nportals still being served; Ctrl-C to stop", file=sys.stderr)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return code
