"""Parse throughput on simulator pages: parse_document vs. lxml.html.fromstring alone, one core.

    .venv/bin/python benchmarks/bench_parse.py [--pages 513] [--repeat 3] [--pickle FILE]

Pages: every HTML variant x {v2019, v2021, pre2019} x seeds (random truths), rendered by
simulator.render and wrapped in a page shell. Each timing is the best of ``--repeat`` passes over all
pages in this one process (no worker pool), so the figures are per core. Goals: >= 200 reports/s and
parse_document within 5x of lxml's bare parse.

``--pickle FILE`` times a pickled list of (url, payload bytes, lower-cased headers) instead, e.g. the
report pages a simulator world serves (fetched once from ``simulator.serve_world``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pickle
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lxml.html

from crawler.parsing import parse_document
from crawler.parsing.schema import keys_for
from simulator.render import HTML_VARIANTS, render_report_html
from simulator.spec import ReportSpec


def make_pages(n: int) -> list[bytes]:
    pages: list[bytes] = []
    seed = 0
    while len(pages) < n:
        for template in ("v2019", "v2021", "pre2019"):
            for variant in HTML_VARIANTS:
                rng = random.Random(seed * 1000 + len(pages))
                cells = {
                    k: None if rng.random() < 0.2 else rng.choice([0, 0, 1, 3, 12, 150, 1234])
                    for k in keys_for(template)
                }
                year = 2016 if template == "pre2019" else 2020 if template == "v2019" else 2022
                title = f"示例县第{seed}局{year}年政府信息公开工作年度报告"
                spec = ReportSpec(
                    agency=f"示例县第{seed}局", agency_kind="department", year=year, template=template,
                    title=title, cells=cells, index_no=f"11410{seed:03d}/2021-00012", issuer=f"示例县第{seed}局",
                    published=dt.date(year + 1, 1, 20),
                )  # fmt: skip
                body = render_report_html(spec, variant)
                pages.append(
                    (
                        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
                        f'<div class="nav">首页 > 政府信息公开 > 年报</div>{body}<div class="footer">主办单位</div></body></html>'
                    ).encode()
                )
        seed += 1
    return pages[:n]


def best_of(repeat: int, fn) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=513)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pickle", help="pickled [(url, payload, headers)] to time instead of rendered pages")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, honestly
    headers = {"content-type": "text/html; charset=utf-8"}
    if args.pickle:
        with open(args.pickle, "rb") as fh:
            items = [(u, b, dict(h)) for u, b, h in pickle.load(fh)]
    else:
        items = [(f"http://127.0.0.1/{i}.html", p, headers) for i, p in enumerate(make_pages(args.pages))]
    pages = [b for _, b, _ in items]
    statuses: dict[str, int] = {}
    for url, p, h in items:  # warm-up + sanity: every page must parse as a report
        st = parse_document(p, url, h).status
        statuses[st] = statuses.get(st, 0) + 1

    def run_parse() -> None:
        for url, p, h in items:
            parse_document(p, url, h)

    def run_lxml() -> None:
        for p in pages:
            lxml.html.fromstring(p)

    t_parse = best_of(args.repeat, run_parse)
    t_lxml = best_of(args.repeat, run_lxml)
    mb = sum(len(p) for p in pages) / 1e6
    what = args.pickle or f"{len(HTML_VARIANTS)} variants x 3 templates"
    print(f"pages: {len(pages)} ({mb:.1f} MB; {what}), statuses: {statuses}")
    print(
        f"parse_document: {len(pages) / t_parse:8.1f} reports/s  ({t_parse * 1000 / len(pages):.2f} ms/page)"
    )
    print(f"lxml.fromstring:{len(pages) / t_lxml:8.1f} pages/s    ({t_lxml * 1000 / len(pages):.2f} ms/page)")
    ratio = t_parse / t_lxml
    print(f"parse_document / lxml time ratio: {ratio:.1f}x  (goal <= 5x; >= 200 reports/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
