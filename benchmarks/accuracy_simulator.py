"""Parser exactness against the simulator's truth, without Scrapy in between.

Serves a world on loopback, fetches every reachable report page (and its attachment) with urllib,
parses them exactly as the crawl does (parse_document + assemble_report) and compares agency,
agency kind, year, template, metadata and every cell with the truth.

    .venv/bin/python benchmarks/accuracy_simulator.py --seed 7 --size small [--show 20]
"""

from __future__ import annotations

import argparse
import time
import urllib.request
from collections import Counter

from crawler.parsing import parse_document
from crawler.parsing.assemble import assemble_report
from simulator import build_world, serve_world


def fetch(url: str) -> tuple[bytes, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=30) as resp:  # loopback simulator only
        return resp.read(), {k.lower(): v for k, v in resp.headers.items()}


def compare(seed: int, size: str | int, show: int) -> Counter[str]:
    world = build_world(seed, size)
    tally: Counter[str] = Counter()
    shown = 0
    with serve_world(world) as running:
        for t in running.truth().reports:
            body, headers = fetch(t.url)
            page = parse_document(body, t.url, headers)
            atts = []
            if t.attachment_url:
                abody, aheaders = fetch(t.attachment_url)
                atts.append(parse_document(abody, t.attachment_url, aheaders))
            result, _ = assemble_report(page, atts)
            md = result.metadata
            got_cells = {k: c.value for k, c in result.cells.items()}
            problems = []
            if md.agency != t.agency:
                problems.append(f"agency {md.agency!r} != {t.agency!r}")
            if md.agency_kind != t.agency_kind:
                problems.append(f"kind {md.agency_kind!r} != {t.agency_kind!r}")
            if md.year != t.year:
                problems.append(f"year {md.year} != {t.year}")
            if result.template != t.template:
                problems.append(f"template {result.template} != {t.template}")
            for name in ("index_no", "issuer", "doc_no"):
                if t.metadata.get(name) and getattr(md, name) != t.metadata[name]:
                    problems.append(f"{name} {getattr(md, name)!r} != {t.metadata[name]!r}")
            want = dict(t.cells)
            wrong = {k for k in set(want) | set(got_cells) if got_cells.get(k, "missing") != want.get(k, "missing")}
            tally["reports"] += 1
            tally["cells"] += len(want)
            tally["cells_wrong"] += len(wrong)
            tally["reports_exact"] += not problems and not wrong
            for p in problems:
                tally["field:" + p.split()[0]] += 1
            if (problems or wrong) and shown < show:
                shown += 1
                print(f"- {t.url} [{t.source_kind}] {t.title}")
                for p in problems:
                    print(f"    {p}")
                for k in sorted(wrong)[:6]:
                    print(f"    {k}: got {got_cells.get(k, 'missing')!r} want {want.get(k, 'missing')!r}")
                if len(wrong) > 6:
                    print(f"    ... {len(wrong) - 6} more cells")
    return tally


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, action="append", default=[])
    ap.add_argument("--size", default="small")
    ap.add_argument("--show", type=int, default=15)
    args = ap.parse_args()
    total: Counter[str] = Counter()
    t0 = time.perf_counter()
    for seed in args.seed or [7]:
        total += compare(seed, int(args.size) if args.size.isdigit() else args.size, args.show)
    cells_ok = total["cells"] - total["cells_wrong"]
    print(f"\nreports exact {total['reports_exact']}/{total['reports']}; cells {cells_ok}/{total['cells']} "
          f"({100 * cells_ok / max(total['cells'], 1):.2f}%); {time.perf_counter() - t0:.1f} s")
    for k, v in sorted(total.items()):
        if k.startswith("field:"):
            print(f"  {k[6:]} wrong in {v} reports")


if __name__ == "__main__":
    main()
