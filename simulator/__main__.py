"""``python -m simulator --seed 1 --size small``: serve a world in the foreground and print its portals."""

from __future__ import annotations

import argparse
import json
import sys
import time

from simulator.server import serve_world
from simulator.world import SIZES, build_world


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size", default="small", help=f"{', '.join(SIZES)} or a number of reports")
    ap.add_argument("--port", type=int, default=8080, help="port on every portal host (0 = free ports)")
    ap.add_argument("--sources-out", metavar="FILE", help="write the sources file (JSON) here")
    ap.add_argument("--truth-out", metavar="FILE", help="write the truth (JSON lines) here")
    args = ap.parse_args(argv)
    size = int(args.size) if args.size.isdigit() else SIZES.get(args.size)
    if size is None:
        ap.error(f"unknown size {args.size!r}")
    t0 = time.perf_counter()
    world = build_world(args.seed, size)
    print(f"built {sum(len(p.reports()) for p in world.portals)} reports on {len(world.portals)} portals "
          f"in {time.perf_counter() - t0:.2f}s", file=sys.stderr)
    with serve_world(world, port=args.port) as running:
        print(world.summary())
        if args.sources_out:
            with open(args.sources_out, "w", encoding="utf-8") as f:
                json.dump(running.sources(), f, ensure_ascii=False, indent=1)
        if args.truth_out:
            truth = running.truth()
            with open(args.truth_out, "w", encoding="utf-8") as f:
                for status, reps in (("reachable", truth.reports), ("disallowed", truth.disallowed),
                                     ("blocked", truth.blocked)):
                    for r in reps:
                        f.write(json.dumps({**r.__dict__, "status": status}, ensure_ascii=False) + "\n")
        print("serving; Ctrl-C to stop", file=sys.stderr)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
