"""The one generic spider: from a portal's home page (or any column URL) to every 年报 it publishes.

Navigation model (portals.md §1): home → 信息公开 entry → 年报 column (or unit node → its 年报
column) → year / unit-type sub-columns → list pages (every CMS pager family) → report pages →
attachments. Each request carries a *scope*: "outside" (looking for the entry and the column; only
entry / unit-node / 年报 links are followed, few hops) or "column" (inside a 年报 column; sub-columns,
list pages, pagers and details are followed). Every page is handed to ``parse_document``; the parse
decides what is a report, never the URL.

Host policy: the spider sets no ``allowed_domains`` (Scrapy's OffsiteMiddleware then lets every
request through; with IPs it would only match exact addresses anyway, and one crawl serves many
portals). Instead each portal keeps its own host set (start URLs, sources-file ``allowed_hosts``,
hosts its 信息公开/年报 navigation links to) and HTML outside it is skipped with reason "offsite";
attachments may live anywhere. Loopback addresses (127.0.0.x) are ordinary hosts here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import FormRequest, Request, Response

from crawler import discovery as d
from crawler.items import CaptureItem, ReportItem
from crawler.sources import Portal, load_sources, portal_for_url
from crawler.workers import parse_workers, process_pool
from storage.records import FetchedResponse

log = logging.getLogger(__name__)

# Every status reaches the callbacks (so errors and 304s are archived too) except redirects, which
# Scrapy must keep following: handle_httpstatus_all would switch redirects off.
HANDLED_STATUSES = [304, *range(400, 600)]
BLOCK_STATUSES = (403, 412, 418, 429)
SAMPLE_URLS = 20
_KEEP_META = ("portal", "scope", "root", "depth", "kind", "hanweb", "first", "start_rec", "end_rec")
_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.S | re.I)
_COLUMN_META_RE = re.compile(r"<meta[^>]+name=[\"']?ColumnName[\"']?[^>]+content=[\"']([^\"']*)", re.I)


@dataclass(slots=True)
class PortalStats:
    """What one run did on one portal; stored in crawl_runs.stats and printed as the summary."""

    pages: int = 0  # responses received (any status, incl. 304s and attachments)
    bytes: int = 0  # body bytes received
    not_modified: int = 0
    reports_new: int = 0
    reports_changed: int = 0
    reports_unchanged: int = 0
    captures: int = 0  # non-report responses archived
    attachments: int = 0
    blocked: int = 0
    robots_denied: int = 0
    dead_links: int = 0
    parse_errors: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    samples: dict[str, list[str]] = field(default_factory=dict)  # reason -> first URLs

    def sample(self, reason: str, url: str) -> None:
        urls = self.samples.setdefault(reason, [])
        if len(urls) < SAMPLE_URLS:
            urls.append(url)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "bytes": self.bytes,
            "not_modified": self.not_modified,
            "reports_new": self.reports_new,
            "reports_changed": self.reports_changed,
            "reports_unchanged": self.reports_unchanged,
            "captures": self.captures,
            "attachments": self.attachments,
            "blocked": self.blocked,
            "robots_denied": self.robots_denied,
            "dead_links": self.dead_links,
            "parse_errors": self.parse_errors,
            "errors": dict(self.errors),
            "skipped": dict(self.skipped),
            "samples": self.samples,
        }


class PortalSpider(scrapy.Spider):
    name = "portal"

    def __init__(
        self,
        portals: list[Portal] | None = None,
        sources: str | None = None,
        start_urls: str | list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        plist: list[Portal] = list(portals or [])
        if sources:  # `scrapy crawl portal -a sources=FILE`
            plist.extend(load_sources(sources))
        if isinstance(start_urls, str):
            start_urls = [u for u in start_urls.split(",") if u.strip()]
        for url in start_urls or []:
            plist.append(portal_for_url(url))
        self.portals: dict[str, Portal] = {p.name: p for p in plist}
        self.pstats: dict[str, PortalStats] = {p.name: PortalStats() for p in plist}
        self.seen: set[str] = set()
        self.variants: Counter[tuple[str, str, tuple[str, ...]]] = Counter()
        self.close_reason: str | None = None
        self.known_reports: set[str] = set()
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.nav_depth = s.getint("NIANBAO_NAV_DEPTH", 4)
        spider.max_depth = s.getint("NIANBAO_MAX_DEPTH", 8)
        spider.variants_cap = s.getint("NIANBAO_QUERY_VARIANTS_CAP", 300)
        spider.trap_cap = s.getint("NIANBAO_TRAP_VARIANTS_CAP", 20)
        spider.max_attachments = s.getint("NIANBAO_MAX_ATTACHMENTS", 8)
        crawler.signals.connect(spider._on_closed, signal=scrapy.signals.spider_closed)
        workers = parse_workers(s)
        if workers > 0:
            spider.pool = process_pool(workers)
        return spider

    def _on_closed(self, spider: Any, reason: str) -> None:
        self.close_reason = reason
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    async def _parse(self, body: bytes, url: str, headers: dict[str, str], status: int) -> Any:
        """parse_document, in a worker process when there are parse workers (crawler.workers: parsing
        is the CPU cost of an unthrottled crawl; a pool lets it overlap with downloading and archiving)."""
        from crawler.parsing.dispatch import parse_document

        if self.pool is not None:
            try:
                return await asyncio.wrap_future(self.pool.submit(parse_document, body, url, headers, status=status))
            except BrokenExecutor:  # a worker died (OOM, signal): carry on in-process
                if self.pool is not None:  # said once, not once per pending parse
                    log.warning("parse worker pool broken; parsing in-process from now on")
                self.pool = None
        return parse_document(body, url, headers, status=status)

    # --- bookkeeping used by the pipeline and the command ----------------------------------------
    def note_report(self, portal: str, change: str, url: str) -> None:
        st = self.pstats[portal]
        if change == "new":
            st.reports_new += 1
        elif change == "changed":
            st.reports_changed += 1
        elif change == "unchanged":
            st.reports_unchanged += 1
        else:
            st.captures += 1

    def note_error(self, portal: str | None, kind: str, detail: str) -> None:
        st = self.pstats.get(portal or "")
        if st is None:
            return
        st.errors[kind] += 1
        st.sample(f"error:{kind}", detail)

    def stats_dict(self) -> dict[str, Any]:
        return {name: st.to_dict() for name, st in self.pstats.items()}

    def totals(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for st in self.pstats.values():
            for k in ("pages", "bytes", "reports_new", "reports_changed", "reports_unchanged", "blocked"):
                out[k] += getattr(st, k)
            out["errors"] += sum(st.errors.values())
        return dict(out)

    def outcome(self) -> str:
        if self.close_reason in ("shutdown",):
            return "interrupted"
        return "finished_with_errors" if any(st.errors for st in self.pstats.values()) else "finished"

    # --- start ---------------------------------------------------------------------------------
    def _load_known_reports(self) -> None:
        """URLs of the archive's current report pages: a 304 on one of them needs no re-parse."""
        from crawler.pipelines import archive_for

        archive = archive_for(self.crawler)
        if archive is None or not self.crawler.settings.getbool("NIANBAO_CONDITIONAL", True):
            return
        try:
            self.known_reports = archive.current_report_urls()
        except Exception:  # an unreadable archive only costs re-parsing
            log.exception("could not list archived reports")

    async def start(self) -> Any:
        self._load_known_reports()
        for portal in self.portals.values():
            for url in portal.start_urls:
                scope = "column" if portal.matches_column(url) else "outside"
                req = self._request(portal, url, scope=scope, root=d.column_root(url), depth=0, start=True)
                if req is not None:
                    yield req
            for url in portal.extra_list_endpoints:
                req = self._request(portal, url, scope="column", root=d.column_root(url), depth=0, start=True)
                if req is not None:
                    yield req

    def _request(
        self,
        portal: Portal,
        url: str,
        *,
        scope: str,
        root: str,
        depth: int,
        kind: str = "page",
        start: bool = False,
        priority: int = 0,
        extra: dict[str, Any] | None = None,
    ) -> Request | None:
        url = d.normalise_url(url)
        if url in self.seen:
            return None
        self.seen.add(url)
        meta = {
            "portal": portal.name,
            "scope": scope,
            "root": root,
            "depth": depth,
            "kind": kind,
            "start": start,
            "handle_httpstatus_list": HANDLED_STATUSES,
            **(extra or {}),
        }
        cb = {"page": self.parse_page, "hanweb": self.parse_hanweb, "gkmlpt": self.parse_gkmlpt}[kind]
        return Request(url, callback=cb, errback=self.on_error, meta=meta, priority=priority)

    # --- responses -----------------------------------------------------------------------------
    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        meta = response.meta
        portal = self.portals[meta["portal"]]
        st = self.pstats[portal.name]
        fetched = self._fetched(response, portal.name)
        if response.status == 304 and response.url in self.known_reports:
            # an archived report page, unchanged: nothing to parse, nothing new to follow
            st.pages += 1
            st.not_modified += 1
            st.reports_unchanged += 1
            yield CaptureItem(portal.name, fetched)
            return
        body, status, cached = self._payload(response, fetched, st)
        if body is None:
            yield CaptureItem(portal.name, fetched)
            return
        if cached:
            yield CaptureItem(portal.name, fetched)  # the 304 exchange itself

        headers = _joined_headers(response)
        parsed = await self._parse(body, response.url, headers, status)
        _stamp_encoding(fetched, parsed)
        if status in (404, 410):
            st.dead_links += 1
            st.sample("dead_link", response.url)
            if meta.get("start"):
                self.note_error(portal.name, "start_url_failed", f"{response.url}: HTTP {status}")
            if not cached:
                yield CaptureItem(portal.name, fetched)
            return
        if parsed.status == "blocked" or status in BLOCK_STATUSES:
            st.blocked += 1
            st.sample("blocked", response.url)
            if not cached:
                yield CaptureItem(portal.name, fetched)
            return
        if status >= 400:
            self.note_error(portal.name, f"http_{status}", response.url)
            if meta.get("start"):
                self.note_error(portal.name, "start_url_failed", f"{response.url}: HTTP {status}")
            if not cached:
                yield CaptureItem(portal.name, fetched)
            return
        if parsed.status == "error":
            st.parse_errors += 1
            st.sample("parse_error", f"{response.url}: {parsed.message}")
            if meta.get("start"):
                self.note_error(portal.name, "unparseable_start_page", f"{response.url}: {parsed.message}")
        # A page without tables is not taken for a report when it is a start page (home pages
        # announce new reports with report-like headlines) or titles itself as the 年报 column
        # (a list whose first link carries a report title).
        text: str | None = None
        if parsed.is_report and parsed.status not in ("ok", "partial"):
            text = _decode(body, headers, parsed)
            if meta.get("start") or _title_is_column(text):
                parsed = replace(parsed, status="not_report", message="list or start page (crawler): " + parsed.message)
        if parsed.is_report:
            if cached:
                st.reports_unchanged += 1
            else:
                for out in self._report(portal, fetched, parsed, response):
                    yield out
            if parsed.status in ("ok", "partial"):
                return
            # A "report" without tables may be a list page the classifier took for one (its
            # links carry report titles): keep discovering from it so no list is lost.
            text = text if text is not None else _decode(body, headers, parsed)
            for out in self._discover(portal, response.url, text, meta, from_report=True):
                yield out
            return
        if not cached:
            yield CaptureItem(portal.name, fetched)
        if parsed.status == "error" and not _looks_like_html(body):
            return
        text = text if text is not None else _decode(body, headers, parsed)
        for out in self._discover(portal, response.url, text, meta):
            yield out

    def parse_hanweb(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        portal = self.portals[meta["portal"]]
        st = self.pstats[portal.name]
        fetched = self._fetched(response, portal.name)
        body, status, _cached = self._payload(response, fetched, st)
        yield CaptureItem(portal.name, fetched)
        hw: d.HanwebList = meta["hanweb"]
        if (body is None or status >= 400 or "<datastore" not in body[:4096].decode("latin-1").lower()) and (
            response.request.method == "GET"
        ):
            # many jpage deployments only answer the form POST the page's own script sends
            yield FormRequest(
                response.url.split("?", 1)[0] + "?" + urlencode(
                    {"startrecord": meta.get("start_rec", 1), "endrecord": meta.get("end_rec", hw.chunk()), "perpage": hw.perpage}
                ),
                formdata=hw.form(), callback=self.parse_hanweb, errback=self.on_error, dont_filter=True,
                meta={**{k: v for k, v in meta.items() if k in _KEEP_META}, "handle_httpstatus_list": HANDLED_STATUSES},
            )
            return
        if body is None or status >= 400:
            self.note_error(portal.name, f"list_api_http_{status}", response.url)
            return
        text = _decode(body, _joined_headers(response), None)
        total, anchors = d.hanweb_records(text, response.url)
        yield from self._follow_list(portal, anchors, meta)
        if meta.get("first") and total:
            chunk = hw.chunk()
            for start in range(1 + chunk, total + 1, chunk):
                end = min(start + chunk - 1, total)
                req = self._request(
                    portal, hw.url(start, end), scope="column", root=meta["root"],
                    depth=meta["depth"], kind="hanweb", extra={"hanweb": hw, "start_rec": start, "end_rec": end},
                )
                if req is not None:
                    yield req

    def parse_gkmlpt(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        portal = self.portals[meta["portal"]]
        st = self.pstats[portal.name]
        fetched = self._fetched(response, portal.name)
        body, status, _cached = self._payload(response, fetched, st)
        yield CaptureItem(portal.name, fetched)
        if body is None or status >= 400:
            self.note_error(portal.name, f"list_api_http_{status}", response.url)
            return
        text = _decode(body, _joined_headers(response), None)
        total, count, anchors = d.gkmlpt_records(text, response.url)
        yield from self._follow_list(portal, anchors, meta)
        if meta.get("first") and total and count:
            pages = min(-(-total // count), self.variants_cap)
            for page in range(2, pages + 1):
                url = d.gkmlpt_api_url(response.url, meta["cat"], meta["sid"], page)
                req = self._request(
                    portal, url, scope="column", root=meta["root"], depth=meta["depth"], kind="gkmlpt",
                    extra={"cat": meta["cat"], "sid": meta["sid"]},
                )
                if req is not None:
                    yield req

    # --- reports and attachments ---------------------------------------------------------------
    def _report(self, portal: Portal, fetched: FetchedResponse, parsed: Any, response: Response) -> Iterator[Any]:
        from crawler.parsing.assemble import wants_attachments

        wants = wants_attachments(parsed)  # shared with `nianbao reparse`
        links = list(parsed.attachments)
        if parsed.status == "image_only" or (wants and not links):
            links += list(parsed.images)
        urls: list[str] = []
        for link in links:
            u = d.normalise_url(response.urljoin(link.url))
            if u not in urls and u.startswith(("http://", "https://")):
                urls.append(u)
        if not wants or not urls:
            yield ReportItem(portal.name, fetched, parsed)
            return
        state = {"page": fetched, "parsed": parsed, "pending": urls[: self.max_attachments], "done": []}
        yield self._next_attachment(portal, state)

    def _next_attachment(self, portal: Portal, state: dict[str, Any]) -> Any:
        if state["pending"]:
            url = state["pending"].pop(0)
            return Request(
                url,
                callback=self.parse_attachment,
                errback=self.attachment_failed,
                dont_filter=True,  # the same file may belong to two pages; never dropped as a duplicate
                priority=30,
                meta={
                    "portal": portal.name,
                    "att_state": state,
                    "kind": "attachment",
                    "nianbao_unconditional": True,  # the page changed, so its files are needed in full
                    "handle_httpstatus_list": HANDLED_STATUSES,
                },
            )
        return self._finish_report(portal, state)

    async def parse_attachment(self, response: Response) -> AsyncIterator[Any]:

        portal = self.portals[response.meta["portal"]]
        st = self.pstats[portal.name]
        state = response.meta["att_state"]
        fetched = self._fetched(response, portal.name)
        st.pages += 1
        st.bytes += len(response.body)
        st.attachments += 1
        parsed = await self._parse(response.body, response.url, _joined_headers(response), response.status)
        if response.status >= 400:
            st.dead_links += 1
            st.sample("dead_attachment", response.url)
        state["done"].append((fetched, parsed))
        yield self._next_attachment(portal, state)

    def attachment_failed(self, failure: Any) -> Iterator[Any]:
        request = failure.request
        portal = self.portals[request.meta["portal"]]
        self._note_failure(portal.name, failure)
        yield self._next_attachment(portal, request.meta["att_state"])

    def _finish_report(self, portal: Portal, state: dict[str, Any]) -> ReportItem:
        from crawler.parsing.assemble import assemble_report  # shared with `nianbao reparse`

        final, index = assemble_report(state["parsed"], [parsed for _fetched, parsed in state["done"]])
        parsed_from = "page" if index is None else state["done"][index][0].final_url
        return ReportItem(portal.name, state["page"], final, state["done"], parsed_from)

    # --- link discovery ------------------------------------------------------------------------
    def _discover(
        self, portal: Portal, url: str, text: str, meta: dict[str, Any], *, from_report: bool = False
    ) -> Iterator[Request]:
        scope, root, depth = meta["scope"], meta["root"], meta["depth"]
        if scope == "outside" and (_page_is_column(text) or portal.matches_column(url)):
            scope, root = "column", d.column_root(url)
        if scope == "column" and depth > self.max_depth:
            return
        # CMS list families whose pages are not plain links
        if scope == "column":
            for page_url in d.trs_pages(text, url, cap=self.variants_cap):
                req = self._request(portal, page_url, scope="column", root=root, depth=depth)
                if req is not None:
                    yield req
            hw = d.hanweb_list(text, url)
            if hw is not None:
                req = self._request(
                    portal, hw.url(1, hw.chunk()), scope="column", root=root, depth=depth + 1, kind="hanweb",
                    extra={"hanweb": hw, "first": True}, priority=5,
                )
                if req is not None:
                    yield req
        gk = d.gkmlpt_config(text)
        if gk is not None:
            for cat, _name in gk.categories:
                req = self._request(
                    portal, d.gkmlpt_api_url(url, cat, gk.sid, 1), scope="column", root="/gkmlpt/",
                    depth=depth + 1, kind="gkmlpt", extra={"cat": cat, "sid": gk.sid, "first": True}, priority=5,
                )
                if req is not None:
                    yield req
        listed: set[str] = set()
        if scope == "column" and portal.list_selectors:
            listed = {a.url for a in d.extract_anchors(text, url, portal.list_selectors)}
        anchors = d.extract_anchors(text, url)
        # "首页"/"1" of a pager is the column URL itself, already fetched: drop that URL whatever
        # other label (尾页 of a one-page list) it carries
        first_pages = {
            a.url for a in anchors if a.text.strip() in ("1", "首页", "第一页") and d.is_sibling_page(a.url, url)
        }
        new_links: list[Request] = []
        pagers: list[tuple[str, str]] = []
        st = self.pstats[portal.name]
        for a in anchors:
            target = d.canonical_twin(a.url)
            if target in self.seen or target == url or target in first_pages:
                continue
            kind = d.file_kind(target)
            if kind == "skip" or (kind is not None and from_report):  # a report's files come with it
                continue
            label = a.text
            decision = self._decide(portal, url, target, label, scope, root, listed, kind)
            if decision is None:
                continue
            if decision == "decoy":
                st.skipped["decoy_link"] += 1
                st.sample("decoy_link", target)
                continue
            if decision == "pager":
                pagers.append((target, label))
                continue
            host = urlsplit(target).hostname or ""
            if kind is None and host not in portal.allowed_hosts:
                st.skipped["offsite"] += 1
                st.sample("offsite", target)
                continue
            new_scope = "column" if decision in ("column", "detail") else "outside"
            new_root = root if scope == "column" and decision != "column_entry" else d.column_root(target)
            new_depth = depth + 1
            if new_scope == "outside" and new_depth > self.nav_depth:
                st.skipped["nav_depth"] += 1
                continue
            if not self._variant_ok(target, st):
                continue
            prio = 10 if decision == "detail" or kind else 0
            req = self._request(portal, target, scope=new_scope, root=new_root, depth=new_depth, priority=prio)
            if req is not None:
                new_links.append(req)
        yield from new_links
        # Pagers: only while the page still yields something new (deep stub pages, calendar traps)
        if scope == "column" and (new_links or not meta.get("pager")):
            for target, _label in pagers:
                if not new_links and d.is_trap_url(target):
                    continue
                if (urlsplit(target).hostname or "") not in portal.allowed_hosts:
                    continue
                if not self._variant_ok(target, st):
                    continue
                req = self._request(
                    portal, target, scope="column", root=root, depth=depth, extra={"pager": True}
                )
                if req is not None:
                    yield req

    def _decide(
        self, portal: Portal, page_url: str, target: str, label: str, scope: str, root: str,
        listed: set[str], kind: str | None,
    ) -> str | None:
        """What following ``target`` means here: None (ignore), decoy, pager, column, detail, entry."""
        if label and d.is_decoy_text(label):
            return "decoy"
        if portal.matches_report(target):
            return "detail"
        if portal.matches_column(target):
            return "column_entry" if scope == "outside" else "column"
        nianbao = bool(label) and d.is_nianbao_text(label)
        if scope == "outside":
            if kind is not None:
                return "detail" if nianbao else None
            if nianbao and d.is_column_label(label):
                self._adopt_host(portal, target)
                return "column_entry"
            if d.is_entry_text(label):
                self._adopt_host(portal, target)
                return "entry"
            if d.is_unit_node_text(label):
                return "entry"
            return None
        # inside a 年报 column
        if kind is not None:
            return "detail" if nianbao or target in listed else None
        if nianbao:
            self._adopt_host(portal, target)
            return "detail"
        if d.is_sibling_page(target, page_url) or (label and d.is_pager_text(label) and d.under(target, root)):
            return "pager"
        if target in listed or d.under(target, root) or d.is_subcolumn_text(label):
            return "column"
        return None

    def _follow_list(self, portal: Portal, anchors: Iterable[d.Anchor], meta: dict[str, Any]) -> Iterator[Request]:
        """Links from a list API answer (Hanweb records, gkmlpt articles): all are list entries."""
        st = self.pstats[portal.name]
        for a in anchors:
            target = d.canonical_twin(a.url)
            if a.text and d.is_decoy_text(a.text):
                st.skipped["decoy_link"] += 1
                st.sample("decoy_link", target)
                continue
            kind = d.file_kind(target)
            if kind == "skip":
                continue
            if kind is None and (urlsplit(target).hostname or "") not in portal.allowed_hosts:
                st.skipped["offsite"] += 1
                st.sample("offsite", target)
                continue
            req = self._request(
                portal, target, scope="column", root=d.column_root(target), depth=meta["depth"] + 1, priority=10
            )
            if req is not None:
                yield req

    def _adopt_host(self, portal: Portal, target: str) -> None:
        """A host the portal links from its 信息公开 / 年报 navigation is the portal's own."""
        host = urlsplit(target).hostname
        if host and host not in portal.allowed_hosts:
            portal.allowed_hosts.add(host)

    def _variant_ok(self, target: str, st: PortalStats) -> bool:
        if not urlsplit(target).query:
            return True
        key = d.query_variant_key(target)
        cap = self.trap_cap if d.is_trap_url(target) else self.variants_cap
        if self.variants[key] >= cap:
            st.skipped["query_variants_cap"] += 1
            st.sample("query_variants_cap", target)
            return False
        self.variants[key] += 1
        return True

    # --- failures ------------------------------------------------------------------------------
    def on_error(self, failure: Any) -> None:
        request = failure.request
        self._note_failure(request.meta.get("portal"), failure)

    def _note_failure(self, portal: str | None, failure: Any) -> None:
        st = self.pstats.get(portal or "")
        if st is None:
            return
        request = failure.request
        exc = failure.value
        if isinstance(exc, IgnoreRequest):
            msg = str(exc)
            if "robots.txt" in msg:
                st.robots_denied += 1
                reason = "robots"
            elif "cap" in msg:
                reason = "page_cap"
            else:
                reason = "ignored"
            st.skipped[reason] += 1
            st.sample(reason, request.url)
            return
        kind = _failure_kind(exc)
        self.note_error(portal, kind, f"{request.url}: {type(exc).__name__}: {exc}")
        if request.meta.get("start"):
            self.note_error(portal, "start_url_failed", f"{request.url}: {kind}")

    # --- helpers -------------------------------------------------------------------------------
    def _payload(
        self, response: Response, fetched: FetchedResponse, st: PortalStats
    ) -> tuple[bytes | None, int, bool]:
        """(bytes to parse, effective status, came from the archive): a 304 reuses the stored payload."""
        st.pages += 1
        st.bytes += len(response.body)
        if response.status != 304:
            return response.body, response.status, False
        st.not_modified += 1
        v = response.meta.get("validators")
        from crawler.pipelines import archive_for

        archive = archive_for(self.crawler)
        if v is None or archive is None:
            return None, 304, False
        try:
            return archive.read_blob(v.sha256), v.status, True
        except KeyError:
            self.note_error(fetched.portal, "missing_blob", response.url)
            return None, 304, False

    def _fetched(self, response: Response, portal: str) -> FetchedResponse:
        meta = response.meta
        chain = [str(u) for u in meta.get("redirect_urls", [])]
        req_headers = [
            (k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.request.headers.items() for v in vs
        ]
        resp_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs]
        return FetchedResponse(
            url=chain[0] if chain else response.url,
            final_url=response.url,
            status=response.status,
            body=response.body,
            response_headers=resp_headers,
            request_headers=req_headers,
            method=response.request.method,
            redirect_chain=chain,
            fetched_at=meta.get("nianbao_fetched_at") or dt.datetime.now(dt.UTC),
            portal=portal,
        )


def _joined_headers(response: Response) -> dict[str, str]:
    return {
        k.decode("latin-1").lower(): ", ".join(v.decode("latin-1") for v in vs) for k, vs in response.headers.items()
    }


def _stamp_encoding(fetched: FetchedResponse, parsed: Any) -> None:
    fetched.declared_encoding = parsed.encoding_declared
    fetched.detected_encoding = parsed.encoding
    fetched.encoding_rule = parsed.encoding_rule


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lower()
    return b"<html" in head or b"<a " in body[:200_000].lower() or b"<body" in head


def _decode(body: bytes, headers: dict[str, str], parsed: Any) -> str:
    """Text for link extraction: the parser's encoding when it chose one, else its decoder."""
    enc = getattr(parsed, "encoding", None) if parsed is not None else None
    if enc:
        try:
            return body.decode(enc, errors="replace")
        except LookupError:
            pass
    try:
        from crawler.parsing.decoding import decode_html

        return decode_html(body, headers).text
    except Exception:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return body.decode("gb18030", errors="replace")


def _page_is_column(text: str) -> bool:
    """The page presents itself as a 年报 column (its <title> or ColumnName meta says so)."""
    head = text[:20_000]
    for rx in (_COLUMN_META_RE, _TITLE_RE):
        m = rx.search(head)
        if m:
            label = " ".join(m[1].split())
            first = re.split(r"[-_|—–]", label)[0]
            if d.is_nianbao_text(first) and len(first) <= 20:
                return True
    return False


def _title_is_column(text: str) -> bool:
    """The <title> names the 年报 column itself ("政府信息公开年报_XX县人民政府"), not one report."""
    m = _TITLE_RE.search(text[:20_000])
    if not m:
        return False
    first = re.split(r"[-_|—–]", " ".join(m[1].split()))[0].strip()
    return len(first) <= 12 and d.is_nianbao_text(first) and not re.search(r"\d{4}", first)


def _failure_kind(exc: BaseException) -> str:
    name = type(exc).__name__
    text = f"{name} {exc}".lower()
    if "dns" in text or "lookup" in text:
        return "dns"
    if "ssl" in text or "tls" in text or "certificate" in text or "handshake" in text:
        return "tls"
    if "timeout" in text or "timed out" in text:
        return "timeout"
    if "refused" in text:
        return "connection_refused"
    if "connectionlost" in text or "responsenever" in text or "reset" in text or "partial" in text:
        return "connection_lost"
    return name
