"""Anhui 政务公开 platform: units each have their own 信息公开 node; 年报 lists under /Xxgknb/list/<col>.html?page=N,
reports at /XxgkAnnualReport/show/<id>.html with the Anhui metadata table
(索引号 | 组配分类 | 发布机构 | 发文日期 | 发布文号 | 关键词 | 信息来源 | 主题导航 | 信息名称 | 内容概述)."""

from __future__ import annotations

from simulator.sites.base import Site, esc
from simulator.world import Column, Item

_NB_ROLES = ("nb_gov", "nb_dept", "nb_town", "nb_town_year", "unit_nb")


class AnhuiSite(Site):
    family = "anhui"
    body_container = ('<div class="j-fontContent wzcon">', "</div>")

    def column_url(self, col: Column, page: int = 1) -> str:
        if col.slug == "":
            return "/"
        q = "" if page == 1 else f"?page={page}"
        if col.kind == "nav":
            return f"/Openness/index/{col.cid}.html"
        if col.kind == "page":
            return f"/Openness/page/{col.cid}.html"
        if col.role in _NB_ROLES:
            return f"/Xxgknb/list/{col.cid}.html{q}"
        if col.role == "news":
            return f"/News/list/{col.cid}.html{q}"
        return f"/OpennessContent/list/{col.cid}.html{q}"

    def item_url(self, item: Item) -> str:
        if item.kind == "report":
            return f"/XxgkAnnualReport/show/{item.id}.html"
        if item.kind == "news":
            return f"/News/show/{item.id}.html"
        return f"/OpennessContent/show/{item.id}.html"

    def pager_html(self, col: Column, page: int, pages: int) -> str:
        def q(n: int) -> str:
            return f'?page={n}'

        links = [f'<a href="{q(1)}">首页</a>']
        if page > 1:
            links.append(f'<a href="{q(page - 1)}">上一页</a>')
        links.append(f'<span class="current">{page}</span>/<span>{pages}</span>')
        if page < pages:
            links.append(f'<a href="{q(page + 1)}">下一页</a>')
        links.append(f'<a href="{q(pages)}">尾页</a>')
        return f'<div class="pagination">{"".join(links)}</div>'

    def metadata_block(self, item: Item) -> str:
        rep = item.report
        assert rep is not None
        spec = rep.spec()
        rows = (("索引号", rep.index_no, "组配分类", "政府信息公开年报"),
                ("发布机构", rep.issuer, "发文日期", f"{rep.published:%Y-%m-%d}"),
                ("发布文号", rep.doc_no or "", "关键词", "年报"),
                ("信息来源", rep.agency.name, "主题导航", "综合政务"),
                ("信息名称", spec.title, "", ""),
                ("内容概述", f"{rep.agency.name}{rep.year}年政府信息公开工作年度报告", "", ""))
        trs = "".join(f"<tr><th>{a}</th><td>{esc(b)}</td><th>{c}</th><td>{esc(d)}</td></tr>" for a, b, c, d in rows)
        return f'<div class="div_table_suoyin"><table class="table_suoyin">{trs}</table></div>'
