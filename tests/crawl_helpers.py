"""Helpers for the crawl tests: a tiny hand-made portal on 127.0.0.1 and a `nianbao` subprocess runner.

The mini portal is deliberately small and explicit (a few pages whose structure each test can read)
so a failing crawl test points at the crawler, not at a generated world; the simulator-based tests
cover breadth.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = str(REPO / ".venv" / "bin" / "python")
FAST = [
    "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=32",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "RETRY_TIMES=2", "-s", "DOWNLOAD_TIMEOUT=10",
]


def report_html(agency: str, year: int, seed: int = 1) -> str:
    """A full report page rendered by the simulator's renderer (real tables, consistent cells)."""
    from simulator.cells import make_cells
    from simulator.render import render_report_html
    from simulator.spec import ReportSpec

    template = "v2021" if year >= 2021 else "v2019"
    cells = make_cells(seed, agency, "department", year, template, None)
    title = f"{agency}{year}年政府信息公开工作年度报告"
    spec = ReportSpec(
        agency=agency, agency_kind="department", year=year, template=template, title=title, cells=cells,
        issuer=agency, published=dt.date(year + 1, 1, 20),
    )
    body = render_report_html(spec, "standard")
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta name='ArticleTitle' content='{title}'></head><body>{body}</body></html>"
    )


def page(title: str, links: list[tuple[str, str]], extra: str = "") -> str:
    items = "".join(f"<li><a href='{u}'>{t}</a></li>" for u, t in links)
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>{title}</h1><ul>{items}</ul>{extra}</body></html>"
    )


@dataclass
class MiniSite:
    """path -> (status, headers, body) or a callable(handler) -> (status, headers, body)."""

    pages: dict[str, object] = field(default_factory=dict)
    log: list[tuple[str, str, int, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def html(self, path: str, text: str, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.pages[path] = (status, {"Content-Type": "text/html; charset=utf-8", **(headers or {})}, text.encode())


def _handler(site: MiniSite) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a: object) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.form_body = self.rfile.read(length).decode()  # type: ignore[attr-defined]
            self.do_GET(method="POST")

        def do_GET(self, method: str = "GET") -> None:
            key = self.path if method == "GET" else f"POST {self.path.split('?')[0]}"
            entry = site.pages.get(key) or (site.pages.get(self.path.split("?")[0] + "?*") if method == "GET" else None)
            if callable(entry):
                entry = entry(self)
            if entry is None:
                status, headers, body = 404, {"Content-Type": "text/html"}, b"<html>not found</html>"
            else:
                status, headers, body = entry
            headers = dict(headers)
            if status == 200:
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                headers.setdefault("ETag", etag)
                headers.setdefault("Last-Modified", formatdate(1700000000, usegmt=True))
                if self.headers.get("If-None-Match") == headers["ETag"]:
                    status, body = 304, b""
            with site.lock:
                site.log.append((method, self.path, status, dict(self.headers)))
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return H


@contextmanager
def serve(site: MiniSite, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``site`` on ``host`` (loopback only) on a free port; yields the base URL."""
    assert host.startswith("127."), "test servers bind to loopback only"
    server = ThreadingHTTPServer((host, 0), _handler(site))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_nianbao(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "nianbao", *args],
        cwd=REPO, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )


def crawl(db: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return run_nianbao("crawl", "--db", db, *FAST, *args, timeout=timeout)


def run_stats(db: str) -> list[dict[str, object]]:
    """(outcome, stats) of every crawl run, oldest first, read through the archive's own tables."""
    import json
    import sqlite3

    con = sqlite3.connect(db)
    try:
        rows = con.execute("select outcome, stats from crawl_runs order by id").fetchall()
    finally:
        con.close()
    return [{"outcome": o, "stats": json.loads(s) if isinstance(s, str) else s} for o, s in rows]


