"""Serve a World over HTTP: one ThreadingHTTPServer per portal, each on its own loopback address.

Routing, faults (robots, 500-once, slow page, 301, 404, 412 challenge, calendar trap) and HTTP
caching (ETag / Last-Modified / 304) live here; page bodies come from the portal's Site and are
kept in an LRU cache keyed by the world generation, so repeated requests cost almost nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from simulator.sites.base import Page, esc
from simulator.world import Item, Portal, Truth, World

CHALLENGE_BODY = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    "<script type=\"text/javascript\">$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=48213;"
    '$_ts.cd="qEcqrrAlDGVkcGQrxqVdgsAcWoG3EGVacsQbxqm9cq93EGqqrGmGbDqccaLqcsWErGVtcGLqcsQqrGL";</script>'
    '<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js"></script>'
    "</head><body></body></html>"
)


@dataclass(frozen=True)
class PortalInfo:
    name: str
    region_code: str
    home_url: str
    host: str
    family: str
    encoding: str


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[tuple, tuple] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> tuple | None:
        with self.lock:
            v = self.data.get(key)
            if v is not None:
                self.data.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return v

    def put(self, key: tuple, value: tuple) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


def _http_date(t: dt.datetime) -> str:
    return email.utils.format_datetime(t.replace(tzinfo=dt.UTC), usegmt=True)


class App:
    """Turns (portal, method, path, headers, body) into a Response. Thread-safe."""

    def __init__(self, world: World, slow_seconds: float = 1.5, cache_size: int = 4096) -> None:
        self.world = world
        self.slow_seconds = slow_seconds
        self.cache = _LRU(cache_size)
        self.failed_once: set[tuple[int, str]] = set()
        self.lock = threading.Lock()
        self._index: dict[int, tuple[int, dict[str, tuple]]] = {}

    # -- routing -------------------------------------------------------------------------------
    def index(self, p: Portal) -> dict[str, tuple]:
        """path(+query) -> target, rebuilt when the world changes."""
        gen = self.world.generation
        cached = self._index.get(p.index)
        if cached is not None and cached[0] == gen:
            return cached[1]
        with self.world.lock:
            site = p.site
            idx: dict[str, tuple] = {"/": ("home",), "/index.html": ("home",), "/index.htm": ("home",)}
            for col in p.root.walk():
                if col.slug == "":
                    continue
                if col.kind == "list":
                    for n in range(1, site.static_pages(col) + 1):
                        idx[site.column_url(col, n)] = ("list", col, n)
                else:
                    idx[site.column_url(col)] = (col.kind, col)
            for item in p.items.values():
                if item.kind == "dead":
                    continue
                idx[site.item_url(item)] = ("item", item)
                wap = site.wap_url(item)
                if wap:
                    idx[wap] = ("wap", item)
                att = site.attachment_url(item)
                if att:
                    idx[att] = ("att", item)
            idx = {k: v for k, v in idx.items() if "#" not in k}
        self._index[p.index] = (gen, idx)
        return idx

    def resolve(self, p: Portal, path: str, query: str, qs: dict[str, str]) -> tuple | None:
        idx = self.index(p)
        full = f"{path}?{query}" if query else path
        target = idx.get(full) or idx.get(path)
        if target is not None and target[0] == "list" and query and "page" in qs:
            col = target[1]
            site = p.site
            if "?page=" in site.column_url(col, 2):
                try:
                    n = int(qs["page"])
                except ValueError:
                    return None
                return ("list", col, n) if 1 <= n <= site.page_count(col) else None
        return target

    # -- responses -----------------------------------------------------------------------------
    def respond(self, p: Portal, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        parts = urlsplit(raw_path)
        path, query = parts.path or "/", parts.query
        qs = dict(parse_qsl(query, keep_blank_values=True))
        if method == "POST" and body:
            qs.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        site = p.site
        if path == "/robots.txt":
            return self._robots(p)
        if path == "/calendar/" or path == "/calendar/index.html":
            return self._calendar(p, qs.get("date", ""))
        old = site.old_urls().get(path)
        if old is not None:
            return Response(301, {"Location": p.base_url + old, "Content-Type": "text/html"}, b"")
        full = f"{path}?{query}" if query else path
        if full in p.fail_once:
            with self.lock:
                first = (p.index, full) not in self.failed_once
                self.failed_once.add((p.index, full))
            if first:
                return self._text(500, "<html><body><h1>500 Internal Server Error</h1></body></html>")
        page_key: tuple
        dyn = site.dynamic(method, path, qs) if self._maybe_dynamic(p, path) else None
        item: Item | None = None
        if dyn is not None:
            if dyn.status in (301, 302):
                return Response(dyn.status, {**dyn.headers, "Content-Type": "text/html"}, b"")
            key = ("dyn", p.index, path, tuple(sorted(qs.items())), self.world.generation)
            page_key = key
            cached = self.cache.get(key)
            if cached is None:
                cached = self._encode(p, dyn)
                self.cache.put(key, cached)
        else:
            target = self.resolve(p, path, query, qs)
            if target is None:
                return self._text(404, "<html><head><title>404</title></head><body><h1>404 Not Found</h1>"
                                       "<p>您访问的页面不存在或已被删除。</p></body></html>")
            if target[0] in ("item", "wap", "att"):
                item = target[1]
                if item.id in p.waf_ids:
                    return self._challenge(item)
            obj = target[1] if len(target) > 1 else None
            ident = obj.id if isinstance(obj, Item) else getattr(obj, "cid", None)
            page_key = (p.index, target[0], ident, target[2] if len(target) > 2 else 0, self.world.generation)
            cached = self.cache.get(page_key)
            if cached is None:
                with self.world.lock:
                    page = self._render(p, target)
                cached = self._encode(p, page)
                self.cache.put(page_key, cached)
        if item is not None and item.id in p.slow_ids:
            time.sleep(self.slow_seconds)
        status, ctype, payload, etag, last_mod = cached
        hdrs = {"Content-Type": ctype, "ETag": etag, "Last-Modified": last_mod, "Cache-Control": "max-age=60"}
        if status == 200 and self._not_modified(headers, etag, last_mod):
            return Response(304, {"ETag": etag, "Last-Modified": last_mod}, b"")
        return Response(status, hdrs, payload)

    def _maybe_dynamic(self, p: Portal, path: str) -> bool:
        return path.startswith(("/module/", "/gkmlpt/", "/show.asp"))

    def _render(self, p: Portal, target: tuple) -> Page:
        site = p.site
        kind = target[0]
        if kind == "home":
            return site.render_home()
        if kind == "list":
            return site.render_list(target[1], target[2])
        if kind == "nav":
            return site.render_nav(target[1])
        if kind == "page":
            return site.render_text_page(target[1])
        if kind == "item":
            return site.render_item(target[1])
        if kind == "wap":
            return site.render_wap(target[1])
        return site.render_attachment(target[1])

    def _encode(self, p: Portal, page: Page) -> tuple:
        ctype = page.content_type
        if isinstance(page.body, bytes):
            payload = page.body
        elif ctype == "text/html":
            if p.encoding == "utf-8":
                payload, ctype = page.body.encode("utf-8"), "text/html; charset=utf-8"
            else:
                payload = page.body.encode("gbk", "xmlcharrefreplace")
                ctype = "text/html; charset=GBK" if p.encoding == "gbk-header" else "text/html"
        else:
            payload, ctype = page.body.encode("utf-8"), f"{ctype}; charset=utf-8"
        etag = '"' + hashlib.sha1(payload).hexdigest()[:20] + '"'
        mtime = page.mtime or p.changed_at
        return page.status, ctype, payload, etag, _http_date(mtime)

    @staticmethod
    def _not_modified(headers: dict[str, str], etag: str, last_mod: str) -> bool:
        inm = headers.get("if-none-match")
        if inm is not None:
            return any(t.strip() in (etag, "*") or t.strip().removeprefix("W/") == etag for t in inm.split(","))
        ims = headers.get("if-modified-since")
        if ims:
            try:
                since = email.utils.parsedate_to_datetime(ims)
                return email.utils.parsedate_to_datetime(last_mod) <= since
            except (TypeError, ValueError):
                return False
        return False

    def _text(self, status: int, html: str) -> Response:
        return Response(status, {"Content-Type": "text/html; charset=utf-8"}, html.encode("utf-8"))

    def _robots(self, p: Portal) -> Response:
        if p.encoding == "gbk-none":
            return self._text(404, "<html><body>404 Not Found</body></html>")
        lines = ["User-agent: *", *(f"Disallow: {r}" for r in p.robots_disallow), "",
                 "User-agent: Baiduspider", "Allow: /", ""]
        return Response(200, {"Content-Type": "text/plain"}, "\n".join(lines).encode())

    def _challenge(self, item: Item) -> Response:
        token = hashlib.sha1(f"ts{item.id}".encode()).hexdigest()[:32]
        return Response(412, {"Content-Type": "text/html",
                              "Set-Cookie": f"FSSBBIl1UgzbN7N80S={token}; Path=/; HttpOnly"},
                        CHALLENGE_BODY.encode())

    def _calendar(self, p: Portal, date: str) -> Response:
        """An endless calendar: every day links to the previous/next day and the next month."""
        try:
            d = dt.date.fromisoformat(date)
        except ValueError:
            return self._text(404, "<html><body>404</body></html>")
        links = [d - dt.timedelta(days=1), d + dt.timedelta(days=1), d + dt.timedelta(days=31)]
        lis = "".join(f'<a href="/calendar/?date={x.isoformat()}">{x.isoformat()}</a> ' for x in links)
        html = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>活动日历 {d}</title></head><body>"
                f"<h2>{esc(p.name)} 活动日历 {d:%Y年%m月%d日}</h2><p>当日暂无活动安排。</p><div class=\"cal\">{lis}</div>"
                "</body></html>")
        return self._text(200, html)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid 40 ms delayed-ACK stalls

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_POST(self) -> None:
        self._handle("POST")

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _handle(self, method: str) -> None:
        srv = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            resp = srv.app.respond(srv.portal, method, self.path, headers, body)  # type: ignore[attr-defined]
        except Exception as exc:  # a simulator bug must not kill the connection silently
            resp = Response(500, {"Content-Type": "text/plain"}, f"simulator error: {exc!r}".encode())
        # Logged before the answer leaves: a client that has its response finds it in the log.
        srv.log(self.headers.get("Host", srv.portal.host), method, self.path, resp.status, headers)  # type: ignore[attr-defined]
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if method != "HEAD" and resp.status != 304:
            self.wfile.write(resp.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class RunningWorld:
    """A world being served: portal addresses, the request log, sources and truth."""

    def __init__(self, world: World, app: App) -> None:
        self.world = world
        self.app = app
        self.request_log: list[tuple[str, str, str, int, dict[str, str]]] = []
        self._log_lock = threading.Lock()
        self.servers: list[_Server] = []

    @property
    def portals(self) -> list[PortalInfo]:
        return [PortalInfo(p.name, p.region_code, p.home_url, p.host, p.family, p.encoding) for p in self.world.portals]

    def log(self, host: str, method: str, path: str, status: int, headers: dict[str, str]) -> None:
        with self._log_lock:
            self.request_log.append((host, method, path, status, headers))

    def sources(self) -> list[dict]:
        """The portals in the crawler's sources-file format."""
        return [{"name": p.name, "region_code": p.region_code, "province": p.province, "city": p.city,
                 "county": p.county, "start_urls": [p.home_url]} for p in self.world.portals]

    def truth(self) -> Truth:
        return self.world.truth()


@contextlib.contextmanager
def serve_world(world: World, port: int = 0, *, slow_seconds: float = 1.5,
                cache_size: int = 4096) -> Iterator[RunningWorld]:
    """Serve every portal of the world on its own loopback host (port 0 = a free port each)."""
    app = App(world, slow_seconds=slow_seconds, cache_size=cache_size)
    running = RunningWorld(world, app)
    threads = []
    try:
        for p in world.portals:
            srv = _Server((p.host, port), _Handler)
            srv.app = app  # type: ignore[attr-defined]
            srv.portal = p  # type: ignore[attr-defined]
            srv.log = running.log  # type: ignore[attr-defined]
            p.port = srv.server_address[1]
            running.servers.append(srv)
            t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
                                 name=f"sim-{p.host}")
            t.start()
            threads.append(t)
        yield running
    finally:
        for srv in running.servers:
            srv.shutdown()
            srv.server_close()
        for t in threads:
            t.join(timeout=2)
