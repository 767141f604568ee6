"""Jiangsu-style platform: reports published as PDF attachments. The detail page has a text
metadata block (索引号: … 分类: … 发布机构: …), a byline with a different date, and a link to the PDF.
Lists page with 1-based index_N.html links (index.html, index_2.html …)."""

from __future__ import annotations

import datetime as dt

from simulator.sites.base import Site, esc
from simulator.world import Column, Item


class JiangsuSite(Site):
    family = "jiangsu"
    body_container = ('<div class="article-content" id="zoom">', "</div>")

    def column_url(self, col: Column, page: int = 1) -> str:
        if col.slug == "":
            return "/"
        base = "/" + "/".join(col.path) + "/"
        return base + ("index.html" if page == 1 else f"index_{page}.html")

    def item_url(self, item: Item) -> str:
        return "/" + "/".join(item.column.path) + f"/{item.date:%Y%m%d}/{item.id}.html"

    def metadata_block(self, item: Item) -> str:
        rep = item.report
        assert rep is not None
        spec = rep.spec()
        byline = item.date + dt.timedelta(days=item.id % 5)
        return ('<div class="xxgk_table">'
                f"<p>索引号: {esc(rep.index_no)}　分类: 综合政务\\其他,政府信息公开年报 公告</p>"
                f"<p>发布机构: {esc(rep.issuer)}　文号: {esc(rep.doc_no or '')}</p>"
                f"<p>成文日期: {rep.published:%Y-%m-%d}　发布日期: {item.date:%Y-%m-%d}　有效性: 有效</p>"
                f"<p>名称: {esc(spec.title)}</p></div>"
                f'<div class="byline">来源: {esc(rep.agency.name)}　发布时间:{byline:%Y-%m-%d} 1{item.id % 10}:{item.id % 60:02d}'
                "　浏览次数: <span id=\"hits\"></span></div>")
