"""Where a re-parse worker's CPU goes, step by step, on a stored archive (read-only: nothing is written).

    .venv/bin/python benchmarks/reparse_costs.py ARCHIVE.db --years 2019,2020 [--limit N] [--changed]
    .venv/bin/python benchmarks/reparse_costs.py ARCHIVE.db --years 2019,2020 --baseline

Default: one fresh process does a worker's job on the selection (nianbao.reparse's own functions,
batches of 48) and times each step with ``time.process_time``: reading the batch, parsing, the
content hash, building the new version's documents, reading the old cells, the diff, pickling the
outcomes for the parent. ``--changed`` treats every report as changed (a new version is built and
diffed, as after a parser change that moves cells); without it the archive's own content hashes
decide, as the re-parse does (an archive parsed by the current parser is then all "unchanged").

``--baseline``: the pure parse of the selection (benchmarks/bench_reparse.selection_parse_rate) in
this long-lived process and in a fresh spawned one, alternately, three times: which of the two a
baseline should be measured in.

ARCHIVE: e.g. the bench.db of ``bench_crawl.py --workdir DIR``.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import pickle
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BATCH = 48


def worker_costs(url: str, years: list[int], limit: int, changed: bool) -> dict[str, float]:
    """CPU ms per report of each step of a worker's job over the selection (after 40 untimed)."""
    import nianbao.reparse as rp
    from crawler.parsing.dispatch import PARSER_VERSION
    from storage.archive import Archive, open_engine
    from storage.reparse_store import new_content
    from storage.writes import cell_tuples, content_hash

    engine, where = open_engine(url)
    archive = Archive(engine, where, readonly=True)
    gc.freeze()  # as a worker does after its start-up
    ids = [c.report_id for c in archive.reparse_candidates({"year": years}, 0, 10_000_000)][: limit + 40]
    for stored in archive.reparse_inputs(ids[:40], cells=False):
        rp.parse_stored(stored)  # imports, first PDF/DOCX, ...
    ids = ids[40:]
    steps = ("read", "parse", "hash", "new version", "old cells", "diff", "pickle")
    spent = dict.fromkeys(steps, 0.0)
    clock = time.process_time
    for i in range(0, len(ids), BATCH):
        t = clock()
        batch = archive.reparse_inputs(ids[i : i + BATCH], cells=False)
        spent["read"] += clock() - t
        staged = []
        for stored in batch:
            t = clock()
            parsed, index, atts = rp.parse_stored(stored)
            spent["parse"] += clock() - t
            t = clock()
            cells = cell_tuples(parsed)
            chash = content_hash(parsed, cells)
            differs = changed or chash != stored.content_hash
            if not differs:
                differs = rp._fingerprint_new(parsed, chash) != rp._fingerprint_old(stored)
            spent["hash"] += clock() - t
            t = clock()
            content = new_content(parsed, stored.page.final_url or stored.page.url, cells, chash) if differs else None
            spent["new version"] += clock() - t
            if changed:  # a hash unlike the stored one: the diff reads and compares the old cells
                chash = stored.content_hash + "x"
            staged.append(rp._Staged(stored, parsed, index, atts, chash, content, cells))
        t = clock()
        need = [st.stored.version_id for st in staged if st.needs_cells]
        old = archive.reparse_old_cells(need) if need else {}
        spent["old cells"] += clock() - t
        t = clock()
        outcomes = [rp._finish(st, PARSER_VERSION, old.get(st.stored.version_id)) for st in staged]
        spent["diff"] += clock() - t
        for out in outcomes:
            out.cell_changes = []  # as without --diff-out
        t = clock()
        pickle.dumps(outcomes, protocol=pickle.HIGHEST_PROTOCOL)
        spent["pickle"] += clock() - t
    archive.close()
    return {k: 1000 * v / max(len(ids), 1) for k, v in spent.items()} | {"reports": float(len(ids))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("archive", help="an SQLite archive file")
    ap.add_argument("--years", required=True, help="report years, comma-separated")
    ap.add_argument("--limit", type=int, default=2500, help="reports timed (default 2500)")
    ap.add_argument("--changed", action="store_true", help="every report gets a new version")
    ap.add_argument("--baseline", action="store_true", help="pure parse: this process vs a fresh one")
    args = ap.parse_args()
    url = f"sqlite:///{Path(args.archive).resolve()}"
    years = [int(y) for y in args.years.split(",")]
    if args.baseline:
        import bench_reparse

        gc.freeze()
        bench_reparse.selection_parse_rate(url, years)  # this process has parsed a selection before
        for _ in range(3):
            rate, cpu = bench_reparse.selection_parse_rate(url, years)
            print(f"this process : {rate:6.1f} reports/s, {1000 * cpu:.2f} ms CPU each", flush=True)
            rate, cpu = bench_reparse.fresh_selection_parse_rate(url, years)
            print(f"fresh process: {rate:6.1f} reports/s, {1000 * cpu:.2f} ms CPU each", flush=True)
        return 0
    with multiprocessing.get_context("spawn").Pool(1) as pool:  # fresh, like a worker
        costs = pool.apply(worker_costs, (url, years, args.limit, args.changed))
    n = int(costs.pop("reports"))
    total = sum(costs.values())
    extra = total - costs["parse"]
    what = "every report changed" if args.changed else "changed where the content hash says so"
    print(f"{n:,} reports, years {args.years} ({what}): {total:.2f} ms CPU per report")
    print("  " + ", ".join(f"{k} {v:.3f}" for k, v in costs.items()))
    print(f"  besides parsing: {extra:.2f} ms = {100 * extra / total:.1f}% of the worker's CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
