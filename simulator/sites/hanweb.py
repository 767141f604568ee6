"""大汉 Hanweb JCMS: /col/col<id>/index.html whose first page carries the records as an XML datastore
inside a script; later pages only through /module/web/jpage/dataproxy.jsp (GET or POST)."""

from __future__ import annotations

from simulator.sites.base import Page, Site, esc
from simulator.world import Column, Item


class HanwebSite(Site):
    family = "hanweb"
    body_container = ("<!--ZJEG_RSS.content.begin--><meta name=\"ContentStart\">",
                      "<meta name=\"ContentEnd\"><!--ZJEG_RSS.content.end-->")

    @property
    def webid(self) -> int:
        return 30 + self.p.index

    def unitid(self, col: Column) -> int:
        return 4_000_000 + col.cid * 7 % 1_000_000

    def column_url(self, col: Column, page: int = 1) -> str:
        if col.slug == "":
            return "/"
        return f"/col/col{col.cid}/index.html"

    def static_pages(self, col: Column) -> int:
        return 1

    def item_url(self, item: Item) -> str:
        d = item.date
        return f"/art/{d.year}/{d.month}/{d.day}/art_{item.column.cid}_{item.id}.html"

    def record(self, item: Item) -> str:
        return (f'<li><a href="{esc(self.list_link(item))}" title="{esc(item.title)}" target="_blank">'
                f'{esc(item.title)}</a><span class="bt-data-time">{item.date:%Y-%m-%d}</span></li>')

    def datastore(self, col: Column, items: list[Item], total: int, nextgroup: bool = True) -> str:
        records = "".join(f"<record><![CDATA[\n{self.record(i)}\n]]></record>" for i in items)
        ng = ""
        if nextgroup:
            ng = (f'<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid={self.webid}&path=/'
                  f'&columnid={col.cid}&unitid={self.unitid(col)}&webname={esc(self.p.name)}&permissiontype=0"></a>]]>'
                  "</nextgroup>")
        pages = max(1, -(-total // self.p.per_page))
        return (f"<datastore>{ng}<totalrecord>{total}</totalrecord><totalpage>{pages}</totalpage>"
                f"<recordset>{records}</recordset></datastore>")

    def render_list(self, col: Column, page: int) -> Page:
        items = col.sorted_items()
        uid = self.unitid(col)
        first = items[: self.p.per_page]
        subs = "".join(f'<a href="{esc(self.column_url(c))}">{esc(c.title)}</a> ' for c in col.children)
        body = (f'<div class="column"><h2>{esc(col.title)}</h2><div class="tabs">{subs}</div>'
                f'<div id="{uid}"><script type="text/xml">{self.datastore(col, first, len(items))}</script></div>'
                f'<form id="jpageform_{uid}" method="post" action="/module/web/jpage/dataproxy.jsp">'
                f'<input type="hidden" name="col" value="1"><input type="hidden" name="appid" value="1">'
                f'<input type="hidden" name="webid" value="{self.webid}"><input type="hidden" name="path" value="/">'
                f'<input type="hidden" name="columnid" value="{col.cid}"><input type="hidden" name="sourceContentType" value="1">'
                f'<input type="hidden" name="unitid" value="{uid}"><input type="hidden" name="permissiontype" value="0"></form>'
                '<script type="text/javascript" src="/module/web/jpage/jpage.js"></script>'
                f"<script>$('#{uid}').jpage({{dataStore: dataStore, proxyUrl: '/module/web/jpage/dataproxy.jsp', "
                f"perPage: {self.p.per_page}, totalRecord: {len(items)}, groupSize: 3, "
                f"ajaxParam: {{col: 1, webid: {self.webid}, path: '/', columnid: {col.cid}, unitid: {uid}}}}});</script>"
                "</div>")
        return Page(self.shell(col.title, body, col, f'<meta name="i_columnid" content="{col.cid}">'),
                    mtime=self.world_mtime())

    def dynamic(self, method: str, path: str, query: dict[str, str]) -> Page | None:
        if path != "/module/web/jpage/dataproxy.jsp":
            return None
        try:
            cid = int(query.get("columnid", ""))
            start = int(query.get("startrecord", "1"))
            per = int(query.get("perpage", str(self.p.per_page)))
            end = int(query.get("endrecord", str(start + 3 * per - 1)))
        except ValueError:
            return Page("<datastore><totalrecord>0</totalrecord></datastore>", "text/xml", self.world_mtime())
        col = self.p.columns.get(cid)
        if col is None or query.get("unitid") != str(self.unitid(col)) or col.kind != "list":
            return Page("<datastore><totalrecord>0</totalrecord><recordset></recordset></datastore>", "text/xml",
                        self.world_mtime())
        items = col.sorted_items()
        chunk = items[max(0, start - 1): max(0, end)]
        xml = '<?xml version="1.0" encoding="utf-8"?>' + self.datastore(col, chunk, len(items), nextgroup=False)
        return Page(xml, "text/xml", self.world_mtime())

    def metadata_block(self, item: Item) -> str:
        rep = item.report
        assert rep is not None
        cells = (("索引号", rep.index_no), ("公开方式", "主动公开"), ("发布机构", rep.issuer), ("成文日期", f"{rep.published:%Y-%m-%d}"),
                 ("文号", rep.doc_no or ""), ("公开时限", "常年公开"), ("主题分类", "政府信息公开年报"))
        tds = "".join(f"<tr><td>{a}</td><td>{esc(b)}</td></tr>" for a, b in cells)
        return f'<div class="xxgk-meta"><h4>信息公开元数据</h4><table>{tds}</table></div>'

    def render_item(self, item: Item) -> Page:
        page = super().render_item(item)
        assert isinstance(page.body, str)
        page.body = page.body.replace("</title>", f'</title><meta name="i_columnid" content="{item.column.cid}">'
                                      f'<meta name="i_articleid" content="{item.id}">', 1)
        return page
