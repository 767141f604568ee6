"""Guangdong gkmlpt (政府信息公开目录管理平台): /gkmlpt/index is a shell with window._CONFIG = {SID, TREE};
lists come only from JSON /gkmlpt/api/all/<cat_id>?page=<n>&sid=<sid>; details /gkmlpt/content/<a>/<b>/post_<id>.html.
The rest of the site (home, news) is an ordinary ?page=N CMS."""

from __future__ import annotations

import datetime as dt
import json

from simulator.sites.base import Page, Site, esc
from simulator.world import Column, Item


class GkmlptSite(Site):
    family = "gkmlpt"
    body_container = ('<div class="article-content">', "</div>")

    @property
    def sid(self) -> str:
        return str(755000 + self.p.index * 17)

    def in_platform(self, col: Column) -> bool:
        return self.p.xxgk in col.ancestors() and col.kind != "page"

    def column_url(self, col: Column, page: int = 1) -> str:
        if col is self.p.xxgk:
            return "/gkmlpt/index"
        if self.in_platform(col):
            return f"/gkmlpt/index#{col.cid}"
        return super().column_url(col, page)

    def static_pages(self, col: Column) -> int:
        return 0 if self.in_platform(col) else self.page_count(col)

    def item_url(self, item: Item) -> str:
        if self.in_platform(item.column):
            return f"/gkmlpt/content/{item.id // 1_000_000}/{item.id // 1000}/post_{item.id}.html"
        return "/" + "/".join(item.column.path) + f"/content/post_{item.id}.html"

    def tree(self, col: Column) -> list[dict]:
        out = []
        for c in col.children:
            if c.kind == "page":
                continue
            out.append({"id": c.cid, "name": c.title, "parent": col.cid if col is not self.p.xxgk else 0,
                        "children": self.tree(c)})
        return out

    def render_index(self) -> Page:
        config = {"SID": self.sid, "TREE": self.tree(self.p.xxgk), "API": "/gkmlpt/api/all/", "PAGE_SIZE": self.p.per_page}
        pages = "".join(f'<li><a href="{esc(super(GkmlptSite, self).column_url(c))}">{esc(c.title)}</a></li>'
                        for c in self.p.xxgk.children if c.kind == "page")
        body = (f'<div id="app"><div class="gk-loading">正在加载...</div></div><ul class="gk-fixed">{pages}</ul>'
                f"<script>window._CONFIG = {json.dumps(config, ensure_ascii=False)};</script>"
                '<script src="/gkmlpt/static/js/app.js"></script>')
        return Page(self.shell("政府信息公开目录", body, self.p.xxgk), mtime=self.world_mtime())

    def subtree_items(self, col: Column) -> list[Item]:
        items = [i for c in col.walk() for i in c.items]
        return sorted(items, key=lambda i: (i.date, i.id), reverse=True)

    def article(self, item: Item) -> dict:
        rep = item.report
        ts = int(dt.datetime(item.date.year, item.date.month, item.date.day, 9, 30, tzinfo=dt.UTC).timestamp())
        return {"id": item.id, "title": item.title, "url": self.p.base_url + self.item_url(item),
                "date_published": ts, "date_written": ts - 86400,
                "identifier": rep.index_no if rep and item.kind == "report" else f"{self.p.region_code}/{item.id}",
                "publisher": rep.issuer if rep and item.kind == "report" else self.p.name,
                "document_number": (rep.doc_no or "") if rep and item.kind == "report" else "",
                "classify_main_name": item.column.title}

    def dynamic(self, method: str, path: str, query: dict[str, str]) -> Page | None:
        if path in ("/gkmlpt/index", "/gkmlpt/index.html", "/gkmlpt/"):
            return self.render_index()
        if not path.startswith("/gkmlpt/api/all/"):
            return None
        tail = path.rsplit("/", 1)[-1]
        col = self.p.columns.get(int(tail)) if tail.isdigit() else None
        if query.get("sid") != self.sid:
            return Page(json.dumps({"code": 403, "msg": "sid error"}), "application/json", status=403)
        if col is None or not self.in_platform(col):
            return Page(json.dumps({"code": 404, "msg": "no such category"}), "application/json", status=404)
        try:
            page = max(1, int(query.get("page", "1")))
        except ValueError:
            page = 1
        items = [i for i in self.subtree_items(col) if i.kind != "dead" or col is i.column]
        n = self.p.per_page
        data = {"total": len(items), "page": page, "size": n, "cat_id": col.cid,
                "articles": [self.article(i) for i in items[(page - 1) * n: page * n]]}
        return Page(json.dumps(data, ensure_ascii=False), "application/json", self.world_mtime())

    def metadata_block(self, item: Item) -> str:
        rep = item.report
        assert rep is not None
        rows = (("索引号：", rep.index_no, "分类：", "政府信息公开年报"), ("发布机构：", rep.issuer, "成文日期：", f"{rep.published:%Y-%m-%d}"),
                ("名称：", rep.spec().title, "", ""), ("文号：", rep.doc_no or "", "发布日期：", f"{item.date:%Y-%m-%d}"))
        trs = "".join(f'<tr><td class="first">{a}</td><td>{esc(b)}</td><td class="first">{c}</td><td>{esc(d)}</td></tr>'
                      for a, b, c, d in rows)
        return f'<div class="introduce"><table class="gkml-table">{trs}</table></div>'
