"""Reading a process tree from /proc (Linux): the kill tests find the crawl's worker processes, the
benchmarks sum memory and CPU over a crawl or re-parse and its workers."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (children first, then theirs), [] once it is gone."""
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in map(int, f.read().split()):
                    out += [child, *descendants(child)]
    except OSError:
        pass
    return out


def imported(module: str) -> bool:
    """Whether the calling process has imported ``module`` (run in a pool worker by the tests)."""
    return module in sys.modules


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (0 once it is gone)."""
    try:
        m = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return 0
    return int(m[1]) * 1024 if m else 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
