"""Compare blob codecs on real-looking payloads: zstd (several levels) vs gzip.

Corpus: every /work/shared/samples/*.txt and seed wrapped in a typical county-portal HTML page
(head, nav, metadata table, the text as <p>/<td>, footer), plus the two real PDFs.
"html-large" concatenates six excerpts per page to approximate full-size report pages.
Prints ratio (original/stored) and compress / decompress MB/s per codec and payload kind.

Run: .venv/bin/python benchmarks/bench_codecs.py
"""

from __future__ import annotations

import gzip
import html
import sys
import time
from pathlib import Path

import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from shared_data import SHARED

NAV = "".join(f'<li><a href="/col/col{i}/index.html">栏目{i}</a></li>' for i in range(60))
HEAD = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<meta name="SiteName" content="某某县人民政府"><meta name="ColumnName" content="政府信息公开年报">
<link rel="stylesheet" href="/css/common.css"><script src="/js/jquery.min.js"></script></head><body>
<div class="header"><ul class="nav">{nav}</ul></div><div class="main"><table class="xxgk-meta">
<tr><td>索引号：</td><td>11610000000000000X/2021-00012</td><td>发布机构：</td><td>某某县人民政府办公室</td></tr>
<tr><td>发布日期：</td><td>2021-01-20</td><td>分类：</td><td>政府信息公开年报</td></tr></table>
<div class="article">"""
FOOT = """</div></div><div class="footer">主办：某某县人民政府办公室 承办：某某县大数据中心
<script>var _hmt=_hmt||[];</script></div></body></html>"""


def wrap(text: str) -> bytes:
    body = []
    for line in text.splitlines():
        if "|" in line:
            cells = "".join(f"<td>{html.escape(c.strip())}</td>" for c in line.split("|"))
            body.append(f"<tr>{cells}</tr>")
        elif line.strip():
            body.append(f'<p style="text-indent:2em;">{html.escape(line)}</p>')
    title = text.strip().splitlines()[0][:60] if text.strip() else "report"
    return (HEAD.format(title=html.escape(title), nav=NAV) + "\n".join(body) + FOOT).encode("utf-8")


def corpus() -> dict[str, list[bytes]]:
    pages = [wrap(p.read_text("utf-8")) for p in sorted((SHARED / "samples").glob("*.txt")) if ".source" not in p.name]
    pages += [wrap(p.read_text("utf-8")) for p in sorted((SHARED / "seeds").glob("*.txt"))]
    pdfs = [p.read_bytes() for p in sorted((SHARED / "samples" / "pdf").glob("*.pdf"))]
    # The excerpts are short (~8 kB); real report pages are 30-150 kB. Six excerpts per page
    # approximate full-size pages sharing one portal template.
    large = [b"".join(pages[i : i + 6]) for i in range(0, len(pages) - 5, 6)]
    return {"html": pages, "html-large": large, "pdf": pdfs}


def codecs() -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    for level in (3, 6, 10, 15, 19):
        comp = zstandard.ZstdCompressor(level=level)
        dec = zstandard.ZstdDecompressor()
        out[f"zstd-{level}"] = (comp.compress, dec.decompress)
    for level in (6, 9):
        out[f"gzip-{level}"] = (lambda d, lv=level: gzip.compress(d, compresslevel=lv, mtime=0), gzip.decompress)
    return out


def measure(items: list[bytes], compress, decompress, repeat: int = 5, rounds: int = 7) -> tuple[float, float, float]:
    """Ratio and MB/s; speeds are the best of ``rounds`` (the machine is shared, best-of is stable)."""
    raw = sum(len(b) for b in items)
    best_c = best_d = float("inf")
    packed = [compress(b) for b in items]
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(repeat):
            packed = [compress(b) for b in items]
        t1 = time.perf_counter()
        for _ in range(repeat):
            for p in packed:
                decompress(p)
        t2 = time.perf_counter()
        best_c, best_d = min(best_c, t1 - t0), min(best_d, t2 - t1)
    stored = sum(len(p) for p in packed)
    mb = raw * repeat / 1e6
    return raw / stored, mb / best_c, mb / best_d


def main() -> None:
    data = corpus()
    for kind, items in data.items():
        total = sum(len(b) for b in items)
        print(f"\n{kind}: {len(items)} payloads, {total / 1e3:.0f} kB")
        print(f"{'codec':<10} {'ratio':>7} {'comp MB/s':>10} {'decomp MB/s':>12}")
        for name, (c, d) in codecs().items():
            ratio, cs, ds = measure(items, c, d)
            print(f"{name:<10} {ratio:7.2f} {cs:10.1f} {ds:12.1f}")


if __name__ == "__main__":
    main()
