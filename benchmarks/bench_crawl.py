"""Crawl throughput, memory and incremental cost of `nianbao crawl` on a large simulated world.

    .venv/bin/python benchmarks/bench_crawl.py [--reports 5000] [--seed 1] [--workdir DIR]

Serves a simulator world of ``--reports`` reports on loopback and, in the same run:
0. an untimed bare pass, so every page and attachment is rendered and cached by the simulator before
   anything is timed (otherwise the PDF/DOCX rendering of the server is charged to whichever crawler
   asks for an attachment first);
1. a bare Scrapy spider that only follows same-host links, attachments included (no parsing, no
   archive) -> pages/s baseline;
2. `nianbao crawl` (throttling off, so by default with one parse worker and the archive writer process:
   crawler/workers.py) -> pages/s, peak RSS of the crawl process and of its whole process tree, reports
   archived;
3. `nianbao crawl` again on the unchanged world -> bytes and requests relative to the first run.
Both crawlers are subprocesses with the same Scrapy concurrency; figures are printed as JSON too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from proc_helpers import descendants, rss_bytes  # tests/: the kill tests read the same tree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PY = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv").exists() else sys.executable
THROTTLE_OFF = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "WARNING",
    "NIANBAO_PROGRESS": "never",
    "NIANBAO_HOST_PAGE_CAP": "100000",
}


def bare_spider_main(sources_file: str, out_file: str) -> None:
    """Mode 1 (run in a subprocess): follow every same-host link, nothing else."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    portals = json.loads(Path(sources_file).read_text(encoding="utf-8"))
    starts = [u for p in portals for u in p["start_urls"]]
    hosts = {re.sub(r"^https?://([^/:]+).*", r"\1", u) for u in starts}
    counts = {"pages": 0, "bytes": 0}

    class Bare(scrapy.Spider):
        name = "bare"
        start_urls = starts

        def parse(self, response):  # type: ignore[no-untyped-def]
            counts["pages"] += 1
            counts["bytes"] += len(response.body)
            if not hasattr(response, "css") or response.url.endswith((".pdf", ".docx", ".doc", ".xlsx", ".xls")):
                return
            for href in response.css("a::attr(href)").getall():
                url = response.urljoin(href)
                host = re.sub(r"^https?://([^/:]+).*", r"\1", url)
                if host in hosts and "/calendar" not in url:
                    yield scrapy.Request(url, callback=self.parse)

    settings = {k: v for k, v in THROTTLE_OFF.items() if not k.startswith("NIANBAO")}
    settings.update({"ROBOTSTXT_OBEY": True, "USER_AGENT": "nianbao-bench-bare", "TELNETCONSOLE_ENABLED": False})
    process = CrawlerProcess(settings)
    t0 = time.monotonic()
    process.crawl(Bare)
    process.start()
    counts["seconds"] = time.monotonic() - t0
    Path(out_file).write_text(json.dumps(counts))


def _run_measured(cmd: list[str]) -> tuple[float, int, int, int]:
    """(wall seconds, peak RSS bytes of the process (VmHWM), peak RSS of the whole process tree
    (the process and its parse / writer / forkserver children, sampled every 0.2 s), exit code)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    peak = tree_peak = 0
    while proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            m = re.search(r"VmHWM:\s+(\d+) kB", status)
            if m:
                peak = max(peak, int(m[1]) * 1024)
        except OSError:
            pass
        tree_peak = max(tree_peak, sum(rss_bytes(p) for p in [proc.pid, *descendants(proc.pid)]))
        time.sleep(0.2)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0, 1):
        print(err[-3000:], file=sys.stderr)
    return time.monotonic() - t0, peak, tree_peak, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("-s", dest="extra", action="append", default=[], metavar="NAME=VALUE",
                    help="extra setting for the nianbao crawls, e.g. -s NIANBAO_PARSE_WORKERS=2")
    ap.add_argument("--bare", nargs=2, metavar=("SOURCES", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare:
        bare_spider_main(*args.bare)
        return

    from simulator import build_world, serve_world
    from storage.archive import Archive

    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_crawl_"))
    work.mkdir(parents=True, exist_ok=True)
    db = str(work / "bench.db")
    for suffix in ("", "-wal", "-shm"):
        Path(db + suffix).unlink(missing_ok=True)
    t0 = time.monotonic()
    world = build_world(args.seed, args.reports)
    print(f"world: {args.reports} reports, {len(world.portals)} portals, built in {time.monotonic() - t0:.1f} s")
    sets = [x for k, v in THROTTLE_OFF.items() for x in ("-s", f"{k}={v}")] + [x for e in args.extra for x in ("-s", e)]
    with serve_world(world) as running:
        sources = work / "sources.json"
        sources.write_text(json.dumps(running.sources(), ensure_ascii=False), encoding="utf-8")
        truth = running.truth()

        bare_out = work / "bare.json"
        _run_measured([PY, __file__, "--bare", str(sources), str(bare_out)])  # warm-up, untimed
        _bare_wall, bare_rss, _, _ = _run_measured([PY, __file__, "--bare", str(sources), str(bare_out)])
        bare = json.loads(bare_out.read_text())
        n0 = len(running.request_log)

        crawl_cmd = [PY, "-m", "nianbao", "crawl", "--db", db, *sets, "--sources", str(sources)]
        wall1, rss1, tree1, code1 = _run_measured(crawl_cmd)
        n1 = len(running.request_log)
        wall2, rss2, tree2, code2 = _run_measured(crawl_cmd)
        n2 = len(running.request_log)
    with Archive.open(db, readonly=True) as archive:
        reports = sum(1 for _ in archive.export_records())
    runs = _runs(db)
    s1, s2 = runs[-2], runs[-1]
    pages1 = sum(v["pages"] for k, v in s1.items() if not k.startswith("_"))
    bytes1 = sum(v["bytes"] for k, v in s1.items() if not k.startswith("_"))
    pages2 = sum(v["pages"] for k, v in s2.items() if not k.startswith("_"))
    bytes2 = sum(v["bytes"] for k, v in s2.items() if not k.startswith("_"))
    el1 = s1["_scrapy"].get("elapsed_time_seconds") or wall1
    el2 = s2["_scrapy"].get("elapsed_time_seconds") or wall2
    bare_rate = bare["pages"] / bare["seconds"]
    rate1 = pages1 / el1
    figures = {
        "reports_in_world": len(truth.reports),
        "reports_archived": reports,
        "bare_pages": bare["pages"], "bare_seconds": round(bare["seconds"], 1), "bare_pages_per_s": round(bare_rate, 1),
        "bare_peak_rss_mb": round(bare_rss / 2**20),
        "crawl_pages": pages1, "crawl_seconds": round(el1, 1), "crawl_pages_per_s": round(rate1, 1),
        "ratio_crawl_vs_bare": round(rate1 / bare_rate, 2),
        "crawl_peak_rss_mb": round(rss1 / 2**20), "crawl_peak_tree_rss_mb": round(tree1 / 2**20),
        "crawl_exit": code1,
        "rerun_requests": n2 - n1, "first_requests": n1 - n0,
        "rerun_bytes": bytes2, "first_bytes": bytes1, "rerun_bytes_share": round(bytes2 / max(1, bytes1), 3),
        # the same on the wire (headers included, as Scrapy counts them)
        "first_wire_bytes": s1["_scrapy"].get("downloader/response_bytes"),
        "rerun_wire_bytes": s2["_scrapy"].get("downloader/response_bytes"),
        "rerun_wire_share": round(
            (s2["_scrapy"].get("downloader/response_bytes") or 0) / max(1, s1["_scrapy"].get("downloader/response_bytes") or 1), 3
        ),
        "rerun_pages": pages2, "rerun_seconds": round(el2, 1), "rerun_peak_rss_mb": round(rss2 / 2**20), "rerun_peak_tree_rss_mb": round(tree2 / 2**20),
        "rerun_exit": code2,
    }
    for k, v in figures.items():
        print(f"{k:>24}: {v}")
    print(json.dumps(figures))


def _runs(db: str) -> list[dict]:
    import sqlite3

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [json.loads(s) for (s,) in con.execute("select stats from crawl_runs order by id")]
    finally:
        con.close()


if __name__ == "__main__":
    main()
