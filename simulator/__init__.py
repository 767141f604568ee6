"""A realistic local web of county government portals, for testing and benchmarking the crawler.

    world = build_world(seed=1, n_reports="small")
    with serve_world(world) as running:
        running.sources()   # portals in the sources-file format
        running.truth()     # what a perfect crawl finds
"""

from __future__ import annotations

from simulator.server import PortalInfo, RunningWorld, serve_world
from simulator.world import SIZES, Truth, TruthReport, World, build_world

__all__ = ["SIZES", "PortalInfo", "RunningWorld", "Truth", "TruthReport", "World", "build_world", "serve_world"]
