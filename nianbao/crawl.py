"""`nianbao crawl`: run the portal spider in-process (Scrapy CrawlerProcess) into the archive.

The command owns the run bookkeeping: it opens the archive (so a bad --db fails before any
network traffic), records the crawl run with its settings, runs Scrapy, then stores per-portal
statistics and prints a summary. Exit codes: 0 finished, 1 finished with portal errors, 2 could
not run (bad sources file, database, settings).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from crawler.sources import Portal, SourcesError, load_sources, portal_for_url

EXIT_OK, EXIT_PARTIAL, EXIT_CANNOT_RUN = 0, 1, 2


def parse_setting_overrides(pairs: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs as Scrapy's own ``-s`` takes them (values stay strings; getters convert)."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"-s {pair!r}: expected NAME=VALUE")
        out[name.strip()] = value
    return out


def project_settings(overrides: dict[str, Any]) -> Any:
    """crawler.settings (the project's) with command-line overrides on top, at 'cmdline' priority."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    if settings.get("BOT_NAME") != "nianbao":  # another project's scrapy.cfg / env var won
        settings.setmodule("crawler.settings", priority="project")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


def collect_portals(sources: str | None, start_urls: list[str]) -> list[Portal]:
    portals = load_sources(sources) if sources else []
    names = {p.name for p in portals}
    for url in start_urls:
        p = portal_for_url(url)
        if p.name in names:
            p.name = f"{p.name} ({url})"
        names.add(p.name)
        portals.append(p)
    if not portals:
        raise SourcesError("nothing to crawl: give --sources FILE and/or START_URLs")
    return portals


def run_crawl(
    portals: list[Portal],
    *,
    db: str | None,
    overrides: dict[str, Any],
    kind: str = "crawl",
    progress: str = "auto",
    verbose: int = 0,
    out: TextIO = sys.stdout,
) -> tuple[int, dict[str, Any]]:
    """Crawl ``portals`` into the archive at ``db``. Returns (exit code, per-portal stats)."""
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.portal import PortalSpider
    from storage.archive import Archive

    overrides = dict(overrides)
    kind = str(overrides.pop("NIANBAO_RUN_KIND", kind))  # `nianbao demo` runs its crawl as a child process
    stats_file = overrides.pop("NIANBAO_STATS_FILE", None)
    overrides.setdefault("NIANBAO_PROGRESS", progress)
    if "LOG_LEVEL" not in overrides:
        overrides["LOG_LEVEL"] = ["WARNING", "INFO", "DEBUG"][min(verbose, 2)]
    # Open (and create/upgrade) the archive before touching the network: a bad --db exits 2 now.
    with Archive.open(db) as archive:
        run_settings = {
            "overrides": {k: str(v) for k, v in overrides.items()},
            "portals": [p.name for p in portals],
        }
        run_id = archive.start_run(kind, run_settings)
    overrides["NIANBAO_RUN_ID"] = run_id
    if db is not None:
        overrides["NIANBAO_DB"] = db
    settings = project_settings(overrides)
    # Scrapy's own root handler honours LOG_LEVEL; the CLI's basicConfig handler would print everything.
    for handler in list(logging.root.handlers):
        logging.root.removeHandler(handler)
    settings.set("LOG_INSTALL_ROOT_HANDLER", True, priority="cmdline")
    process = CrawlerProcess(settings)
    # Scrapy leaves the root logger at NOTSET and filters in its handler, so every debug() call of
    # pdfminer & co. builds a record only to drop it (a third of the crawl time on PDFs).
    logging.root.setLevel(settings.get("LOG_LEVEL") or "INFO")
    for noisy in ("pdfminer", "pdfplumber", "PIL", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    crawler = process.create_crawler(PortalSpider)
    process.crawl(crawler, portals=portals)
    interrupted = False
    try:
        process.start()
    except KeyboardInterrupt:
        interrupted = True
    spider = crawler.spider if isinstance(crawler.spider, PortalSpider) else None
    stats: dict[str, Any] = spider.stats_dict() if spider is not None else {}
    outcome = "interrupted" if interrupted else (spider.outcome() if spider is not None else "failed")
    scrapy_stats = crawler.stats.get_stats() if crawler.stats else {}
    stats["_scrapy"] = {
        k: (v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in scrapy_stats.items()
        if isinstance(v, int | float | str) or hasattr(v, "isoformat")
    }
    with Archive.open(db) as archive:
        archive.finish_run(run_id, outcome, stats)
    print_summary(stats, out=out)
    if stats_file:
        Path(stats_file).write_text(json.dumps({"outcome": outcome, "stats": stats}, ensure_ascii=False), encoding="utf-8")
    if outcome == "interrupted":
        return 130, stats
    return (EXIT_PARTIAL if outcome == "finished_with_errors" else EXIT_OK), stats


def print_summary(stats: dict[str, Any], out: TextIO = sys.stdout) -> None:
    """One line per portal: pages, MB, reports new/changed/unchanged, 304s, blocked, robots, errors."""
    cols = ("pages", "MB", "new", "changed", "same", "304", "blocked", "robots", "dead", "errors")
    rows = []
    for name, st in stats.items():
        if name.startswith("_"):
            continue
        errs = st.get("errors", {})
        rows.append(
            (
                name,
                st["pages"],
                f"{st['bytes'] / 1e6:.2f}",
                st["reports_new"],
                st["reports_changed"],
                st["reports_unchanged"],
                st["not_modified"],
                st["blocked"],
                st["robots_denied"],
                st["dead_links"],
                ", ".join(f"{k}={v}" for k, v in sorted(errs.items())) or "0",
            )
        )
    width = max([len("portal"), *(len(r[0]) for r in rows)])
    print(f"{'portal':<{width}}  " + "  ".join(f"{c:>7}" for c in cols), file=out)
    for r in rows:
        print(f"{r[0]:<{width}}  " + "  ".join(f"{v!s:>7}" for v in r[1:]), file=out)


def check_worker_settings(settings: Any) -> None:
    """Raise ValueError for a worker setting the crawl could not use (before any process starts)."""
    from crawler.workers import archive_writer, parse_workers

    parse_workers(settings)
    archive_writer(settings)


def run_crawl_command(args: argparse.Namespace) -> int:
    try:
        overrides = parse_setting_overrides(args.settings)
        check_worker_settings(project_settings(overrides))
        portals = collect_portals(args.sources, args.start_urls)
    except (SourcesError, ValueError) as exc:
        print(f"nianbao crawl: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    code, _stats = run_crawl(
        portals, db=args.db, overrides=overrides, progress=args.progress, verbose=getattr(args, "verbose", 0)
    )
    return code
