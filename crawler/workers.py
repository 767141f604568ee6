"""Worker processes of a crawl: who parses and who writes, when the crawl is not throttled.

A polite crawl (the default: a second between requests to a host) spends most of its time waiting,
and one process keeps up with it. An unthrottled crawl (a benchmark, a catch-up run over a mirror)
is CPU-bound, and Scrapy's reactor runs in one thread: every millisecond spent parsing a PDF or in an
archive transaction is a millisecond no response is handled. Then the crawl spreads over processes:

* parse workers run ``parse_document`` (:meth:`PortalSpider._parse`);
* one archive writer process runs every ``record_report`` / ``store_capture`` of the pipeline, in
  the order the items come (a single-worker pool is FIFO), so SQLite still sees one writer and a
  report is still one transaction.

``NIANBAO_PARSE_WORKERS`` / ``NIANBAO_ARCHIVE_WRITER`` choose; "auto" means: on when the crawl is not
throttled (no download delay, AutoThrottle off) and the machine has more than one core.
Workers are started with *forkserver*: they never inherit the reactor, its sockets or an open
archive connection.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

AUTO = "auto"


def unthrottled(settings: Any) -> bool:
    """True when the crawl asks for speed: no per-host delay and no AutoThrottle."""
    return settings.getfloat("DOWNLOAD_DELAY", 0.0) == 0 and not settings.getbool(
        "AUTOTHROTTLE_ENABLED", False
    )


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parse_workers(settings: Any) -> int:
    """Number of parse worker processes (0: parse in the crawl process)."""
    value = str(settings.get("NIANBAO_PARSE_WORKERS", AUTO)).strip().lower()
    if value == AUTO:
        return 1 if unthrottled(settings) and _cores() > 1 else 0
    try:
        return max(0, int(value))
    except ValueError:
        raise ValueError(f"NIANBAO_PARSE_WORKERS must be a number or 'auto', not {value!r}") from None


def archive_writer(settings: Any) -> bool:
    """Whether the pipeline writes through an archive writer process."""
    value = str(settings.get("NIANBAO_ARCHIVE_WRITER", AUTO)).strip().lower()
    if value == AUTO:
        return unthrottled(settings) and _cores() > 1
    return settings.getbool("NIANBAO_ARCHIVE_WRITER")


def process_pool(
    workers: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A pool of ``workers`` forkserver processes (parsing modules preloaded, so workers start warm)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["crawler.parsing", "storage.archive"])
    return ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(initializer, initargs)
    )


def _start_worker(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    # Ctrl-C at a terminal reaches the whole process group. It is the crawl process's to handle: it
    # stops the crawl gracefully, and its workers finish what they hold (a write half done would be
    # rolled back anyway) instead of dying with a KeyboardInterrupt in every pending future.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)
    freeze_startup_objects()


def freeze_startup_objects() -> None:
    """Move everything a worker holds after start-up (imported modules, schema tables, compiled
    patterns) out of the garbage collector's reach. Parsing allocates hundreds of thousands of
    containers per second, and each full collection would otherwise walk the whole start-up heap
    again (measured on simulator pages: parsing alone ~4% faster; a re-parse worker's CPU besides
    parsing 20-30% lower, nianbao.reparse does the same)."""
    gc.freeze()
