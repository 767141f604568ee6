"""The one writer: every item goes to the archive through the storage API, one transaction each.

A report page, its attachments, the parse, cells and checks are written by ONE
``Archive.record_report`` call, so a crawl killed at any moment leaves either all of a report or
none of it; re-running the crawl fills the gap.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals

from crawler.items import CaptureItem, ReportItem

log = logging.getLogger(__name__)


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

    def close_spider(self) -> None:
        archive = archive_for(self.crawler)
        if self.own_run and archive is not None:
            spider = self.crawler.spider
            stats = spider.stats_dict() if hasattr(spider, "stats_dict") else {}
            archive.finish_run(self._run_id, spider.outcome() if hasattr(spider, "outcome") else "finished", stats)

    def process_item(self, item: Any) -> Any:
        archive = archive_for(self.crawler)
        if archive is None:
            return item
        spider = self.crawler.spider
        try:
            if isinstance(item, ReportItem):
                portal = spider.portals[item.portal]
                outcome = archive.record_report(
                    run_id=self.run_id,
                    portal=portal.info,
                    page=item.page,
                    parsed=item.parsed,
                    attachments=item.attachments,
                    parsed_from=item.parsed_from,
                )
                spider.note_report(item.portal, outcome.change, item.page.final_url)
            elif isinstance(item, CaptureItem):
                archive.store_capture(item.response, self.run_id)
        except Exception as exc:  # one bad page must not stop the crawl; it is counted and logged
            url = item.page.final_url if isinstance(item, ReportItem) else item.response.final_url
            log.exception("archiving %s failed", url)
            spider.note_error(item.portal, "archive", f"{url}: {type(exc).__name__}: {exc}")
        return item
