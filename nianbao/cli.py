"""The `nianbao` command line. Argument parsing only: each command lives in its own module.

Exit codes (scripts depend on them):
  0  finished
  1  finished, but some portals or reports had errors (see the summary / crawl_runs)
  2  could not run (bad arguments, database cannot be opened, ...)
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_CANNOT_RUN = 2

DB_HELP = "archive database: SQLAlchemy URL or SQLite file path (default: $NIANBAO_DB, else ./nianbao.db)"


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", default=None, help=DB_HELP)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nianbao",
        description="Crawl, archive and parse 政府信息公开工作年度报告 (government information-disclosure annual reports).",
        epilog="Exit codes: 0 finished; 1 finished with portal/report errors; 2 could not run.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "crawl",
        help="crawl portals into the archive",
        description="Crawl county portals (from --sources and/or START_URLs) into the archive. "
        "Polite by default: robots.txt, per-host throttling, page caps. Incremental: "
        "unchanged pages are not downloaded again.",
    )
    _add_db(p)
    p.add_argument("--sources", metavar="FILE", help="sources file (YAML/JSON list of portals; see docs/SOURCES.md)")
    p.add_argument(
        "-s", "--set", dest="settings", metavar="NAME=VALUE", action="append", default=[],
        help="override a Scrapy setting, e.g. -s DOWNLOAD_DELAY=0 -s CLOSESPIDER_PAGECOUNT=100 (repeatable)",
    )
    p.add_argument("--progress", choices=["auto", "always", "never"], default="auto",
                   help="live progress line on stderr (auto: only on a terminal)")
    p.add_argument("start_urls", nargs="*", metavar="START_URL", help="portal home page or column URL")

    p = sub.add_parser(
        "parse",
        help="parse one saved page or attachment and print the export JSON (no database)",
        description="Parse one saved page or attachment (HTML, PDF, DOCX, XLSX, DOC/WPS, TXT) and print "
        "the same JSON object an export line holds.",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--url", help="the URL the file was fetched from (helps metadata and type detection)")
    p.add_argument("--content-type", help="the Content-Type the server sent (charset is used for decoding)")
    p.add_argument("--details", action="store_true", help="also print raw cell text, check details and sections")

    p = sub.add_parser(
        "reparse",
        help="re-run the current parser over stored captures",
        description="Re-parse the stored captures (page + attachments) of the selected reports with the "
        "current parser and record what changed. Never touches the web.",
    )
    _add_db(p)
    p.add_argument("--workers", type=int, default=None, help="parallel processes (default: number of cores)")
    p.add_argument("--agency", action="append", default=[], help="only agencies whose name contains this")
    p.add_argument("--year", type=int, action="append", default=[], help="only this report year (repeatable)")
    p.add_argument("--since-version", metavar="V", help="only reports parsed by a parser older than V")
    p.add_argument("--only-failed", action="store_true", help="only reports whose last parse was not ok")
    p.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    p.add_argument("--diff-out", metavar="FILE", help="write the cell-level changes as CSV")

    p = sub.add_parser(
        "export",
        help="export current reports (jsonl, csv, parquet)",
        description="Export the current version of every selected report, with a codebook beside it.",
    )
    _add_db(p)
    p.add_argument("--format", choices=["jsonl", "csv", "parquet"], required=True)
    p.add_argument("--out", metavar="PATH", help="output file, or directory (an existing one, or any path ending in /); "
                   "default: stdout (jsonl; csv writes only the long table there)")
    p.add_argument("--year", type=int, action="append", default=[], help="report year (repeatable)")
    p.add_argument("--region", action="append", default=[], help="division-code prefix or province/city/county name")
    p.add_argument("--agency", action="append", default=[], help="agency name substring")
    p.add_argument("--template", action="append", default=[], choices=["v2019", "v2021", "pre2019", "unknown"])

    p = sub.add_parser(
        "demo",
        help="serve the bundled demo portals on loopback, crawl them, print a summary",
        description="Start the bundled portal simulator on 127.0.0.x, crawl it into the archive "
        "(default ./nianbao.db) and print a summary. Needs no network.",
    )
    _add_db(p)
    p.add_argument("--size", default="small", help="simulator size: tiny, small, medium, large or a report count")
    p.add_argument("--seed", type=int, default=2024, help="simulator seed (same seed, same portals)")
    p.add_argument("--keep-serving", action="store_true", help="keep the demo portals up after the crawl")

    p = sub.add_parser("db", help="schema migrations (Alembic)", description="Manage the archive schema.")
    _add_db(p)
    p.add_argument("action", choices=["upgrade", "downgrade", "current", "history"])
    p.add_argument("revision", nargs="?", default=None, help="target revision (upgrade: head; downgrade: -1)")

    p = sub.add_parser(
        "serve",
        help="read-only web UI over the archive (Datasette)",
        description="Serve a read-only web UI over a SQLite archive (use `nianbao snapshot` for PostgreSQL).",
    )
    p.add_argument("--db", metavar="PATH", default=None, help="SQLite archive file (default: ./nianbao.db)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8001, help="port to listen on (default: 8001)")

    p = sub.add_parser("coverage", help="which agencies have reports for which years, per county")
    _add_db(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--region", action="append", default=[], help="division-code prefix or place name")

    p = sub.add_parser(
        "snapshot",
        help="copy an archive into a new SQLite file (e.g. PostgreSQL for `serve`) or into an empty PostgreSQL database",
    )
    _add_db(p)
    p.add_argument(
        "--out",
        metavar="PATH|URL",
        required=True,
        help="new SQLite file to write, or postgresql://... of an EMPTY database to move the archive into",
    )

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from storage.archive import ArchiveError

    try:
        return _dispatch(args)
    except ArchiveError as exc:
        print(f"nianbao: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        print("nianbao: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`nianbao export --format jsonl | head`): stop quietly, like any Unix
        # filter, and keep Python from complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command == "crawl":
        from nianbao.crawl import run_crawl_command

        return run_crawl_command(args)
    if command == "parse":
        from nianbao.parse_file import run_parse_command

        return run_parse_command(args)
    if command == "reparse":
        from nianbao.reparse import run_reparse_command

        return run_reparse_command(args)
    if command == "export":
        from storage.exports import run_export_command

        return run_export_command(args)
    if command == "demo":
        from nianbao.demo import run_demo_command

        return run_demo_command(args)
    if command == "db":
        from storage.migrate import run_db_command

        return run_db_command(args)
    if command == "serve":
        from nianbao.serve import run_serve_command

        return run_serve_command(args)
    if command == "coverage":
        from nianbao.coverage import run_coverage_command

        return run_coverage_command(args)
    if command == "snapshot":
        from storage.snapshot import run_snapshot_command

        return run_snapshot_command(args)
    raise AssertionError(command)


if __name__ == "__main__":
    sys.exit(main())
