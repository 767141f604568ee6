"""The one writer: every item goes to the archive through the storage API, one transaction each.

A report page, its attachments, the parse, cells and checks are written by ONE
``Archive.record_report`` call, so a crawl killed at any moment leaves either all of a report or
none of it; re-running the crawl fills the gap.

Unthrottled crawls write through an archive writer process (:mod:`crawler.workers`): the same calls,
made by a single-worker pool in item order, so the reactor thread never waits on a transaction.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from typing import Any

from scrapy import signals

from crawler.items import CaptureItem, ReportItem
from crawler.workers import archive_writer, process_pool

log = logging.getLogger(__name__)

_WRITER_ARCHIVE: Any = None  # the archive of the writer process (set by _open_writer_archive)
_NO_WRITER = object()  # "no writer process: write in this one"


def _open_writer_archive(db: str | None) -> None:
    global _WRITER_ARCHIVE
    from storage.archive import Archive

    _WRITER_ARCHIVE = Archive.open(db)


def _write_report(kwargs: dict[str, Any]) -> str:
    """In the writer process: one ``record_report`` transaction; returns the change it made."""
    return str(_WRITER_ARCHIVE.record_report(**kwargs).change)


def _write_capture(response: Any, run_id: int | None) -> None:
    """In the writer process: one ``store_capture`` transaction."""
    _WRITER_ARCHIVE.store_capture(response, run_id)


def archive_for(crawler: Any) -> Any:
    """The crawl's Archive (opened once per crawler, closed when the spider closes).

    Opened lazily from NIANBAO_DB (None -> $NIANBAO_DB -> ./nianbao.db); NIANBAO_ARCHIVE=False turns
    archiving off (a bare link-following crawl, used by the benchmark baseline).
    """
    archive = getattr(crawler, "_nianbao_archive", None)
    if archive is not None or not crawler.settings.getbool("NIANBAO_ARCHIVE", True):
        return archive
    from storage.archive import Archive

    archive = Archive.open(crawler.settings.get("NIANBAO_DB"))
    crawler._nianbao_archive = archive

    def _close(spider: Any = None) -> None:
        crawler._nianbao_archive = None
        archive.close()

    crawler.signals.connect(_close, signal=signals.engine_stopped, weak=False)
    return archive


class ArchivePipeline:
    """Store CaptureItems with ``store_capture`` and ReportItems with one ``record_report``."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.own_run = False
        self.writer: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchivePipeline:
        return cls(crawler)

    @property
    def run_id(self) -> int | None:
        rid = self.crawler.settings.get("NIANBAO_RUN_ID")
        return int(rid) if rid not in (None, "") else getattr(self, "_run_id", None)

    def open_spider(self) -> None:
        archive = archive_for(self.crawler)
        if archive is not None and self.crawler.settings.get("NIANBAO_RUN_ID") in (None, ""):
            # `scrapy crawl portal` without the nianbao command: keep the run bookkeeping anyway
            self._run_id = archive.start_run("crawl", {"via": "scrapy crawl"})
            self.own_run = True
        if archive is not None and archive_writer(self.crawler.settings):
            self.writer = process_pool(1, _open_writer_archive, (self.crawler.settings.get("NIANBAO_DB"),))

    def close_spider(self) -> None:
        if self.writer is not None:  # every item has been awaited: this only stops the process
            self.writer.shutdown(wait=True)
            self.writer = None
        archive = archive_for(self.crawler)
        if self.own_run and archive is not None:
            spider = self.crawler.spider
            stats = spider.stats_dict() if hasattr(spider, "stats_dict") else {}
            archive.finish_run(
                self._run_id, spider.outcome() if hasattr(spider, "outcome") else "finished", stats
            )

    async def process_item(self, item: Any) -> Any:
        archive = archive_for(self.crawler)
        if archive is None:
            return item
        spider = self.crawler.spider
        try:
            if isinstance(item, ReportItem):
                report = {
                    "run_id": self.run_id,
                    "portal": spider.portals[item.portal].info,
                    "page": item.page,
                    "parsed": item.parsed,
                    "attachments": item.attachments,
                    "parsed_from": item.parsed_from,
                }
                change = await self._in_writer(_write_report, report)
                if change is _NO_WRITER:
                    change = archive.record_report(**report).change
                spider.note_report(item.portal, change, item.page.final_url)
            elif isinstance(item, CaptureItem):
                done = await self._in_writer(_write_capture, item.response, self.run_id)
                if done is _NO_WRITER:
                    archive.store_capture(item.response, self.run_id)
        except Exception as exc:  # one bad page must not stop the crawl; it is counted and logged
            url = item.page.final_url if isinstance(item, ReportItem) else item.response.final_url
            log.exception("archiving %s failed", url)
            spider.note_error(item.portal, "archive", f"{url}: {type(exc).__name__}: {exc}")
        return item

    async def _in_writer(self, fn: Any, *args: Any) -> Any:
        """``fn(*args)`` in the writer process; ``_NO_WRITER`` when there is none (the caller writes).

        When the writer dies (OOM, signal), the items it held are written again here, and every later
        item too. Nothing is lost; at worst an item it had just committed gets a second capture row
        (a report with the same content is recognised as unchanged, no second version).
        """
        if self.writer is None:
            return _NO_WRITER
        try:
            return await asyncio.wrap_future(self.writer.submit(fn, *args))
        except BrokenExecutor:
            if self.writer is not None:  # said once, not once per pending item
                log.warning("archive writer process died; writing in the crawl process from now on")
            self.writer = None
            return _NO_WRITER
