"""Downloader middlewares for polite, incremental crawling, and the live progress line.

- :class:`HostPageCapMiddleware` — a per-host (and per-portal ``max_pages``) budget for one run,
  so a misbehaving portal (calendar traps, session ids in URLs) cannot eat the whole crawl.
- :class:`ConditionalRequestMiddleware` — re-runs ask "changed since?" (If-None-Match /
  If-Modified-Since from the archive's newest capture), so an unchanged site costs only 304s.
- :class:`RetryAfterMiddleware` — Scrapy's retry, but waiting what a 429/503 ``Retry-After`` asks.
- :class:`ProgressExtension` — one refreshed status line on stderr (only on a terminal by default).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import sys
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor, task

from crawler.pipelines import archive_for

log = logging.getLogger(__name__)


class HostPageCapMiddleware:
    """Refuse requests beyond NIANBAO_HOST_PAGE_CAP per host (or a portal's max_pages) in one run."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.cap = crawler.settings.getint("NIANBAO_HOST_PAGE_CAP", 5000)
        self.per_host: Counter[str] = Counter()
        self.per_portal: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Any) -> HostPageCapMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.meta.get("nianbao_retry_of") or urlsplit(request.url).path == "/robots.txt":
            return None
        host = urlsplit(request.url).netloc
        if self.cap and self.per_host[host] >= self.cap:
            raise IgnoreRequest(f"host page cap reached ({self.cap} per run, NIANBAO_HOST_PAGE_CAP)")
        portal_name = request.meta.get("portal")
        spider = self.crawler.spider
        portal = getattr(spider, "portals", {}).get(portal_name)
        if portal is not None and portal.max_pages and self.per_portal[portal_name] >= portal.max_pages:
            raise IgnoreRequest(f"portal max_pages reached ({portal.max_pages})")
        self.per_host[host] += 1
        if portal_name:
            self.per_portal[portal_name] += 1
        return None


class ConditionalRequestMiddleware:
    """Add If-None-Match / If-Modified-Since for URLs the archive already holds; stamp fetch times.

    The archive's validators are loaded once per host (``scheme://host:port/``), the first time the
    crawl asks for a URL there, instead of one query per request: a run requests each URL once, so
    the per-host map answers every later question for that host. (Captures written during the run
    are not in it; they only matter for a URL reached twice, e.g. via a redirect, which is then
    fetched in full instead of conditionally.)
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.enabled = crawler.settings.getbool("NIANBAO_CONDITIONAL", True)
        self.by_host: dict[str, dict[str, Any]] = {}

    def _validators(self, archive: Any, url: str) -> Any:
        parts = urlsplit(url)
        prefix = f"{parts.scheme}://{parts.netloc}/"
        known = self.by_host.get(prefix)
        if known is None:
            known = self.by_host[prefix] = archive.validators_under(prefix)
        return known.get(url)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ConditionalRequestMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        request.meta.setdefault("nianbao_requested_at", dt.datetime.now(dt.UTC))
        if request.meta.get("nianbao_cond_url") == request.url:
            return None  # already decided for this URL (a retry)
        if "nianbao_cond_url" in request.meta:
            # a redirect copied the previous URL's validators: they do not belong to this URL
            request.meta.pop("validators", None)
            for name in (b"If-None-Match", b"If-Modified-Since"):
                request.headers.pop(name, None)
        request.meta["nianbao_cond_url"] = request.url
        if not self.enabled or request.meta.get("nianbao_unconditional"):
            return None
        if urlsplit(request.url).path == "/robots.txt" or request.method != "GET":
            return None
        archive = archive_for(self.crawler)
        if archive is None:
            return None
        try:
            v = self._validators(archive, request.url)
        except Exception:  # the archive being unreadable must not stop the crawl; fetch in full
            log.exception("validators for %s failed", request.url)
            return None
        if v is None or not (v.etag or v.last_modified):
            return None
        request.meta["validators"] = v
        if v.etag:
            request.headers[b"If-None-Match"] = v.etag
        if v.last_modified:
            request.headers[b"If-Modified-Since"] = v.last_modified
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        request.meta["nianbao_fetched_at"] = dt.datetime.now(dt.UTC)
        return response


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class RetryAfterMiddleware(RetryMiddleware):
    """Retry 429/5xx like Scrapy, but first wait what ``Retry-After`` asks (capped by NIANBAO_RETRY_AFTER_MAX)."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("NIANBAO_RETRY_AFTER_MAX", 120.0)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        raw = response.headers.get(b"Retry-After")
        wait = retry_after_seconds(raw.decode("latin-1") if raw else None)
        if wait and wait > 0:
            wait = min(wait, self.max_wait)
            log.info("Retry-After %.1fs for %s", wait, request.url)
            await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        retry = self._retry(request, f"{response.status} (Retry-After {wait:.0f}s)" if wait else str(response.status))
        if retry is not None:
            retry.meta["nianbao_retry_of"] = request.url
            return retry
        return response


class ProgressExtension:
    """A live progress line on stderr (NIANBAO_PROGRESS: auto = only when stderr is a terminal)."""

    def __init__(self, crawler: Any) -> None:
        mode = crawler.settings.get("NIANBAO_PROGRESS", "auto")
        if mode == "never" or (mode == "auto" and not sys.stderr.isatty()):
            raise NotConfigured
        self.crawler = crawler
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProgressExtension:
        return cls(crawler)

    def opened(self, spider: Any) -> None:
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(1.0, now=False)

    def tick(self) -> None:
        spider = self.crawler.spider
        totals = spider.totals() if hasattr(spider, "totals") else {}
        line = (
            f"\rcrawl: {totals.get('pages', 0)} pages, {totals.get('bytes', 0) / 1e6:.1f} MB, "
            f"reports {totals.get('reports_new', 0)} new / {totals.get('reports_changed', 0)} changed / "
            f"{totals.get('reports_unchanged', 0)} unchanged, {totals.get('blocked', 0)} blocked, "
            f"{totals.get('errors', 0)} errors"
        )
        sys.stderr.write(line[:200].ljust(100))
        sys.stderr.flush()

    def closed(self, spider: Any) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
            self.tick()
            sys.stderr.write("\n")
            sys.stderr.flush()
