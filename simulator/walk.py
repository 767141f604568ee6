"""A small reference walker that discovers a served portal the way a crawler must.

It proves (in tests and benchmarks) that every report the truth calls reachable can really be
found by following links from the home page: plain hrefs, TRS createPageHTML() pagers, Hanweb
dataproxy.jsp POSTs and the gkmlpt JSON API. It obeys robots.txt, retries a 500 once, does not
enter the calendar trap and records 412 challenges. Standard library only; not a production crawler.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
import urllib.robotparser
from collections import deque
from dataclasses import dataclass, field

_HREF = re.compile(r"""href\s*=\s*["']([^"'#]+)["']""", re.I)
_TRS_PAGER = re.compile(r"""createPageHTML\(\s*(?:["'][^"']*["']\s*,\s*)?(\d+|countPage)\s*,\s*(\d+|currentPage)\s*,"""
                        r"""\s*["'](\w+)["']\s*,\s*["'](\w+)["']""")
_COUNT_PAGE = re.compile(r"var\s+countPage\s*=\s*(\d+)")
_HANWEB = re.compile(r"columnid=(\d+)&(?:amp;)?unitid=(\d+)")
_TOTALREC = re.compile(r"<totalrecord>(\d+)</totalrecord>")
_CONFIG = re.compile(r"window\._CONFIG\s*=\s*(\{.*?\});</script>", re.S)
_SKIP = re.compile(r"\.(jpg|png|gif|js|css)$|/calendar/|javascript:", re.I)


@dataclass
class WalkResult:
    statuses: dict[str, int] = field(default_factory=dict)  # url -> final status
    redirects: dict[str, str] = field(default_factory=dict)  # url -> Location
    bodies: dict[str, bytes] = field(default_factory=dict)  # only when keep_bodies
    robots_skipped: set[str] = field(default_factory=set)
    requests: int = 0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _fetch(url: str, data: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    url = urllib.parse.quote(url, safe=":/?&=%#;,+@")
    req = urllib.request.Request(url, data=data, headers={"User-Agent": "sim-walker/1.0"})
    try:
        with _OPENER.open(req, timeout=10) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), e.read()


def walk(home_url: str, *, max_requests: int = 20000, keep_bodies: bool = False) -> WalkResult:
    """Breadth-first walk of one portal (same host only) from its home page."""
    res = WalkResult()
    base = urllib.parse.urlsplit(home_url)
    host = base.netloc
    robots = urllib.robotparser.RobotFileParser()
    status, _h, body = _fetch(f"{base.scheme}://{host}/robots.txt")
    res.requests += 1
    robots.parse(body.decode("utf-8", "replace").splitlines() if status == 200 else [])
    queue: deque[tuple[str, bytes | None]] = deque([(home_url, None)])
    seen: set[tuple[str, bytes | None]] = {(home_url, None)}

    def push(url: str, data: bytes | None = None) -> None:
        url = urllib.parse.urljoin(current, url)
        parts = urllib.parse.urlsplit(url)
        if parts.netloc != host or _SKIP.search(url):
            return
        url = urllib.parse.urlunsplit(parts._replace(fragment=""))
        if (url, data) in seen:
            return
        if not robots.can_fetch("sim-walker", url):
            res.robots_skipped.add(url)
            return
        seen.add((url, data))
        queue.append((url, data))

    while queue and res.requests < max_requests:
        current, data = queue.popleft()
        status, headers, body = _fetch(current, data)
        res.requests += 1
        if status == 500:  # transient: retry once
            status, headers, body = _fetch(current, data)
            res.requests += 1
        key = current if data is None else f"{current} POST {data.decode()}"
        res.statuses[key] = status
        if status in (301, 302):
            res.redirects[current] = headers.get("Location", "")
            push(headers.get("Location", ""))
            continue
        if status != 200:
            continue
        if keep_bodies:
            res.bodies[key] = body
        ctype = headers.get("Content-Type", "")
        if "html" not in ctype and "xml" not in ctype and "json" not in ctype:
            continue
        text = body.decode("gb18030" if "utf-8" not in ctype and b"utf-8" not in body[:300] else "utf-8", "replace")
        if "json" in ctype:
            for art in json.loads(text).get("articles", []):
                push(art["url"])
            continue
        for href in _HREF.findall(text):
            push(href.replace("&amp;", "&"))
        m = _TRS_PAGER.search(text)
        if m:
            count = m.group(1)
            if count == "countPage":
                cm = _COUNT_PAGE.search(text)
                count = cm.group(1) if cm else "1"
            n, name, ext = int(count), m.group(3), m.group(4)
            for i in range(1, n):
                push(f"{name}_{i}.{ext}")
        for cid, uid in set(_HANWEB.findall(text)):
            total = _TOTALREC.search(text)
            per = 15
            for start in range(1, int(total.group(1)) + 1 if total else 1, per):
                form = f"col=1&webid=1&path=/&columnid={cid}&unitid={uid}&permissiontype=0"
                push(f"/module/web/jpage/dataproxy.jsp?startrecord={start}&endrecord={start + per - 1}&perpage={per}",
                     form.encode())
        m = _CONFIG.search(text)
        if m:
            cfg = json.loads(m.group(1))
            for cat in _tree_ids(cfg["TREE"]):
                _walk_gkmlpt(current, cat, cfg["SID"], push, res)
    return res


def _tree_ids(tree: list[dict]) -> list[int]:
    out = []
    for node in tree:
        out.append(node["id"])
        out.extend(_tree_ids(node.get("children", [])))
    return out


def _walk_gkmlpt(current: str, cat: int, sid: str, push, res: WalkResult) -> None:  # type: ignore[no-untyped-def]
    page = 1
    while True:
        url = urllib.parse.urljoin(current, f"/gkmlpt/api/all/{cat}?page={page}&sid={sid}")
        status, _h, body = _fetch(url)
        res.requests += 1
        res.statuses[url] = status
        if status != 200:
            return
        data = json.loads(body)
        for art in data["articles"]:
            push(art["url"])
        if page * data["size"] >= data["total"] or not data["articles"]:
            return
        page += 1
