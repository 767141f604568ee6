"""Benchmark the portal simulator: build time, truth time, and serving throughput.

    .venv/bin/python benchmarks/bench_simulator.py [--reports 6000] [--threads 8] [--pages 5000]

Serving: fetches --pages report pages (each once, i.e. cold cache: every one is rendered), then the
same pages again (warm cache), with --threads client threads over keep-alive-less urllib requests.
"""

from __future__ import annotations

import argparse
import http.client
import threading
import time
import urllib.parse

from simulator import build_world, serve_world


def fetch_all(urls: list[str], threads: int) -> tuple[float, int, int]:
    lock = threading.Lock()
    it = iter(urls)
    stats = {"bytes": 0, "errors": 0}

    def worker() -> None:
        conns: dict[str, http.client.HTTPConnection] = {}
        while True:
            with lock:
                url = next(it, None)
            if url is None:
                break
            parts = urllib.parse.urlsplit(url)
            conn = conns.get(parts.netloc)
            if conn is None:
                conn = conns[parts.netloc] = http.client.HTTPConnection(parts.netloc, timeout=30)
            conn.request("GET", urllib.parse.quote(parts.path + ("?" + parts.query if parts.query else ""), safe="/?&=%"))
            resp = conn.getresponse()
            body = resp.read()
            with lock:
                stats["bytes"] += len(body)
                stats["errors"] += resp.status not in (200, 412)
        for c in conns.values():
            c.close()

    t0 = time.perf_counter()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.perf_counter() - t0, stats["bytes"], stats["errors"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=6000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    t0 = time.perf_counter()
    world = build_world(args.seed, args.reports)
    print(f"build_world({args.reports}): {time.perf_counter() - t0:.2f}s, {len(world.portals)} portals")
    t0 = time.perf_counter()
    truth = world.truth()
    print(f"truth(): {time.perf_counter() - t0:.2f}s, {len(truth.reports)} reachable, "
          f"{len(truth.disallowed)} disallowed, {len(truth.blocked)} blocked")
    with serve_world(world, slow_seconds=0.0, cache_size=args.pages + 1000) as running:
        truth = running.truth()
        urls = [r.url for r in truth.reports if r.source_kind == "html_inline"][: args.pages]
        for label in ("cold", "warm"):
            secs, nbytes, errors = fetch_all(urls, args.threads)
            print(f"{label}: {len(urls)} report pages in {secs:.2f}s = {len(urls) / secs:.0f} pages/s, "
                  f"{nbytes / 1e6:.1f} MB, errors={errors}")
        print(f"cache hits={running.app.cache.hits} misses={running.app.cache.misses}")


if __name__ == "__main__":
    main()
