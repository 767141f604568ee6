"""Attachment parsers: accuracy per format on a round-trip corpus, and speed on one core.

Run: .venv/bin/python benchmarks/bench_attachments.py [--reports N] [--seed S]

Accuracy: N random reports (both templates, counts with ~20% blank cells, signed 本年增/减, decimal
万元 fees) are rendered as DOCX, XLSX, ruled PDF and unruled PDF by simulator.render_files, parsed back
with parse_document, and every canonical cell is compared with the spec. Speed: PDF pages/s and
DOCX/XLSX files/s of parse_document, in CPU seconds of this single process (= one core), so the
figures do not depend on what else the machine is running.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from shared_data import SHARED  # $NIANBAO_SHARED, else shared/ beside the repository

from crawler.parsing import parse_document
from crawler.parsing.schema import keys_for
from simulator.render_files import render_docx, render_pdf, render_xlsx
from simulator.spec import ReportSpec


def random_spec(rnd: random.Random, template: str) -> ReportSpec:
    cells: dict[str, int | float | None] = {}
    for k in keys_for(template):
        if rnd.random() < 0.2:
            cells[k] = None
        elif k.endswith(".change"):
            cells[k] = rnd.randint(-500, 500)
        elif k == "t2.art20_8.fees.amount" and template == "v2021":
            cells[k] = rnd.randint(0, 10**7) / 10_000
        else:
            cells[k] = rnd.randint(0, 5000)
    return ReportSpec(
        agency="示例县统计局",
        agency_kind="department",
        year=2022,
        template=template,
        title="示例县统计局2022年政府信息公开工作年度报告",
        cells=cells,
        issuer="示例县统计局",
        published=dt.date(2023, 1, 20),
        sections={"overall": "2022年，我局认真贯彻落实条例。" * 8},
    )


FORMATS = {
    "docx": render_docx,
    "xlsx": render_xlsx,
    "pdf-ruled": lambda s: render_pdf(s, ruled=True),
    "pdf-unruled": lambda s: render_pdf(s, ruled=False),
}


def pdf_pages(payload: bytes) -> int:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(payload)) as pdf:
        return len(pdf.pages)


def pdf_reading(specs: list[ReportSpec], real: list[Path]) -> None:
    """CPU per PDF and per page of parse_pdf: pages read by PDFium vs by pdfminer (pdfplumber).

    Both ways run the same table and text steps after the reading; the files alternate between
    the two, so a busy machine slows both alike.
    """
    from crawler.parsing.attachments.pdf import _parse_with_pdfplumber, parse_pdf
    from crawler.parsing.dispatch import DEFAULT_LIMITS

    groups = {
        "simulator ruled+unruled": [render_pdf(s, ruled=r) for s in specs for r in (True, False)],
        "real 洪泽区": [p.read_bytes() for p in real] * 3,
    }
    print("PDF reading, CPU of parse_pdf:        pdfium ms/file  pdfminer ms/file  ratio  pdfium ms/page")
    for label, payloads in groups.items():
        if not payloads:
            continue
        pages = sum(pdf_pages(p) for p in payloads)
        spent = {"pdfium": 0.0, "pdfminer": 0.0}
        for p in payloads:
            for way, fn in (("pdfium", parse_pdf), ("pdfminer", _parse_with_pdfplumber)):
                t0 = time.process_time()
                fn(p, DEFAULT_LIMITS)
                spent[way] += time.process_time() - t0
        n = len(payloads)
        print(
            f"  {label:<34} {spent['pdfium'] / n * 1000:>8.1f} {spent['pdfminer'] / n * 1000:>17.1f}"
            f" {spent['pdfminer'] / spent['pdfium']:>6.1f}x {spent['pdfium'] / pages * 1000:>14.1f}"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    specs = [random_spec(rnd, "v2019" if i % 2 else "v2021") for i in range(args.reports)]

    print(f"round-trip corpus: {len(specs)} reports (v2019/v2021 alternating), ~20% blank cells")
    print(
        f"{'format':<12} {'reports ok':>10} {'cells ok':>16} {'accuracy':>9} {'CPU s/file':>13} {'pages/s':>8}"
    )
    for name, render in FORMATS.items():
        payloads = [render(s) for s in specs]
        exact = cells_ok = cells_all = 0
        pages = 0
        t0 = time.process_time()  # CPU seconds of this process: one core, whatever the machine's load
        results = [parse_document(p, f"http://127.0.0.1/r.{name.split('-')[0]}") for p in payloads]
        elapsed = time.process_time() - t0
        for spec, res in zip(specs, results, strict=True):
            got = {k: c.value for k, c in res.cells.items()}
            ok = sum(1 for k, v in spec.cells.items() if got.get(k) == v)
            cells_ok += ok
            cells_all += len(spec.cells)
            exact += ok == len(spec.cells)
        if name.startswith("pdf"):
            pages = sum(pdf_pages(p) for p in payloads)
        rate = f"{pages / elapsed:8.1f}" if pages else f"{'':>8}"
        print(
            f"{name:<12} {exact:>4}/{len(specs):<5} {cells_ok:>7}/{cells_all:<8} {cells_ok / cells_all:>8.2%}"
            f" {elapsed / len(specs):>13.3f} {rate}"
        )

    real = sorted((SHARED / "samples" / "pdf").glob("*.pdf"))
    if real:
        payloads = [p.read_bytes() for p in real]
        pages = sum(pdf_pages(p) for p in payloads)
        t0 = time.process_time()
        for _ in range(3):
            for p in payloads:
                parse_document(p, "http://127.0.0.1/real.pdf")
        elapsed = time.process_time() - t0
        print(
            f"real PDFs ({len(real)} files, {pages} pages, x3): {3 * pages / elapsed:.1f} pages/s, "
            f"{elapsed / (3 * len(real)):.3f} s/file"
        )
    pdf_reading(specs, real)
    docx = render_docx(specs[0])
    t0 = time.process_time()
    n = 50
    for _ in range(n):
        parse_document(docx, "http://127.0.0.1/r.docx")
    print(f"DOCX throughput: {n / (time.process_time() - t0):.1f} files/s ({len(docx):,} bytes each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
