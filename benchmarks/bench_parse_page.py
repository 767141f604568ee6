"""Throughput of parse_document on typical report detail pages (50-150 KB), one core.

Run: .venv/bin/python benchmarks/bench_parse_page.py [--seconds 5] [--profile]

Pages are simulator reports (every HTML variant) wrapped in portal chrome (menus, breadcrumbs,
footer links, inline scripts/styles) so their size and element count match real detail pages.
Reports pages per CPU-second (process_time, so other load on the machine does not skew it) for the whole parse_document and for the page-level part alone (tables step
stubbed out), so the cost of each half is visible.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import time

from crawler.parsing import parse_document
from simulator.cells import make_cells
from simulator.render import HTML_VARIANTS, render_report_html
from simulator.spec import ReportSpec


def chrome(body: str, title: str, n_menu: int = 300) -> str:
    menu = "".join(f'<li><a href="/col/col{i}/index.html">栏目{i}信息公开</a></li>' for i in range(n_menu))
    script = "<script>var x = 1;" + "function f(a){return a*2;}" * 400 + "</script>"
    style = "<style>" + ".c{color:red;margin:0 auto;}" * 400 + "</style>"
    return (
        f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f'<title>{title}_示例县人民政府</title><meta name="ArticleTitle" content="{title}">'
        f'<meta name="PubDate" content="2021-01-20 10:04">{style}{script}</head><body>'
        f'<div class="header"><ul class="nav">{menu}</ul></div>'
        f'<div class="crumb">首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>{body}'
        f'<div class="footer">{menu}</div>{script}</body></html>'
    )


def pages() -> list[bytes]:
    out = []
    for i, variant in enumerate(HTML_VARIANTS):
        year = 2019 + i % 4
        template = "v2019" if year < 2021 else "v2021"
        title = f"示例县统计局{year}年政府信息公开工作年度报告"
        spec = ReportSpec(
            agency="示例县统计局",
            agency_kind="department",
            year=year,
            template=template,
            title=title,
            cells=make_cells(7, "stat", "department", year, template, None),
            index_no=f"11330000002482120X/{year + 1}-00012",
            issuer="示例县统计局",
            published=dt.date(year + 1, 1, 20),
        )
        out.append(chrome(render_report_html(spec, variant), title).encode())
    return out


def run(payloads: list[bytes], seconds: float) -> tuple[int, float]:
    n, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for p in payloads:
            parse_document(p, "http://www.example.gov.cn/art/2021/1/20/art_1_1.html", {"content-type": "text/html"})
            n += 1
    return n, time.process_time() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    payloads = pages()
    sizes = sorted(len(p) for p in payloads)
    print(f"{len(payloads)} pages, {sizes[0] // 1024}-{sizes[-1] // 1024} KB")
    r = parse_document(payloads[0], "http://www.example.gov.cn/a.html", {})
    print(f"sample result: status={r.status} template={r.template} cells={len(r.cells)} year={r.metadata.year}")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        run(payloads, args.seconds)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        return
    n, secs = run(payloads, args.seconds)
    print(f"whole parse_document: {n / secs:.0f} pages/s ({secs / n * 1000:.2f} ms/page)")

    import crawler.parsing.html as html_mod

    real = html_mod._build
    html_mod._build = lambda **kw: html_mod.ParseResult(status="no_tables", metadata=kw["metadata"])
    try:
        n, secs = run(payloads, args.seconds)
    finally:
        html_mod._build = real
    print(f"page level only (no table mapping): {n / secs:.0f} pages/s ({secs / n * 1000:.2f} ms/page)")

    real_grids = html_mod._grids
    html_mod._build = lambda **kw: html_mod.ParseResult(status="no_tables", metadata=kw["metadata"])
    html_mod._grids = lambda container, limits: ([], "")
    try:
        n, secs = run(payloads, args.seconds)
    finally:
        html_mod._build, html_mod._grids = real, real_grids
    print(f"page level without any table work: {n / secs:.0f} pages/s ({secs / n * 1000:.2f} ms/page)")


if __name__ == "__main__":
    main()
