"""What every simulated portal shares: page shell, menus, list/detail rendering, decoy bodies.

A family subclass (TRS, Hanweb, gkmlpt, ...) only decides URL shapes, how lists paginate, the
metadata block of a detail page and any dynamic endpoints (JSON/XML list APIs).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import math
from dataclasses import dataclass, field

from simulator.world import Column, Item, Portal


@dataclass
class Page:
    """A rendered response body (before encoding) with what the server needs for headers."""

    body: str | bytes
    content_type: str = "text/html"
    mtime: dt.datetime | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def at9(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, 9, 30)


class Site:
    family = "base"
    body_container = ('<div class="article-content">', "</div>")

    def __init__(self, portal: Portal) -> None:
        self.p = portal

    # -- URL shapes (override) -------------------------------------------------------------------
    def column_url(self, col: Column, page: int = 1) -> str:
        if col.slug == "":
            return "/"
        base = "/" + "/".join(col.path) + "/"
        return base if page == 1 else f"{base}?page={page}"

    def static_pages(self, col: Column) -> int:
        """How many pages of a list column exist as plain URLs (others come from an API)."""
        return self.page_count(col)

    def item_url(self, item: Item) -> str:
        return f"/info/{item.column.cid}/{item.id}.htm"

    def list_link(self, item: Item) -> str:
        """The href a list page uses for an item (may be an old URL that redirects)."""
        return self.item_url(item)

    def wap_url(self, item: Item) -> str | None:
        return None

    def attachment_url(self, item: Item) -> str | None:
        rep = item.report
        if item.kind != "report" or rep is None or rep.source_kind == "html_inline":
            return None
        ext = "pdf" if rep.source_kind == "pdf" else "docx"
        return f"/uploadfile/{item.date:%Y%m}/{hashlib.sha1(str(item.id).encode()).hexdigest()[:16]}.{ext}"

    def old_urls(self) -> dict[str, str]:
        """Old paths that now 301 to a new path."""
        return {}

    def dynamic(self, method: str, path: str, query: dict[str, str]) -> Page | None:
        """Family endpoints that are not plain pages (list APIs); None = not handled."""
        return None

    # -- helpers -------------------------------------------------------------------------------
    def page_count(self, col: Column) -> int:
        return max(1, math.ceil(len(col.items) / self.p.per_page))

    def page_items(self, col: Column, page: int) -> list[Item]:
        n = self.p.per_page
        return col.sorted_items()[(page - 1) * n: page * n]

    def col_by_role(self, role: str) -> Column | None:
        return next((c for c in self.p.root.walk() if c.role == role), None)

    def meta_charset(self) -> str:
        enc = self.p.encoding
        if enc == "utf-8":
            return '<meta charset="utf-8">'
        if enc == "gbk-meta":
            return '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        return ""

    def shell(self, title: str, content: str, col: Column | None = None, extra_head: str = "") -> str:
        p = self.p
        menu = [("首页", "/")]
        for c in p.root.children:
            menu.append((c.title, self.column_url(c)))
        menu.append(("在线访谈", "/zxft/index.html"))  # a dead menu link (404)
        nav = " | ".join(f'<a href="{esc(u)}">{esc(t)}</a>' for t, u in menu)
        crumbs = ""
        if col is not None:
            crumbs = " &gt; ".join(f'<a href="{esc(self.column_url(c))}">{esc(c.title if c.slug else "网站首页")}</a>'
                                   for c in col.ancestors())
            crumbs = f'<div class="position">当前位置：{crumbs}</div>'
        colname = f'<meta name="ColumnName" content="{esc(col.title)}">' if col is not None else ""
        return (f"<!DOCTYPE html>\n<html><head>{self.meta_charset()}<title>{esc(title)}_{esc(p.name)}</title>\n"
                f'<meta name="SiteName" content="{esc(p.name)}"><meta name="SiteDomain" content="{esc(p.host)}">'
                f"{colname}{extra_head}</head>\n<body>\n"
                f'<div class="header"><div class="logo">{esc(p.name)}</div><div class="nav">{nav}</div></div>\n'
                f"{crumbs}\n<div class=\"main\">\n{content}\n</div>\n"
                f'<div class="footer">主办：{esc(p.name)}办公室 | <a href="/calendar/?date=2024-01-01">活动日历</a>'
                f" | 网站标识码：{p.region_code}0001</div>\n</body></html>")

    # -- pages ---------------------------------------------------------------------------------
    def render_home(self) -> Page:
        p = self.p
        blocks = [f'<div class="entry"><a href="{esc(self.column_url(p.xxgk))}">政府信息公开</a></div>']
        news = self.col_by_role("news")
        if news is not None:
            lis = "".join(f'<li><a href="{esc(self.item_url(i))}">{esc(i.title)}</a></li>'
                          for i in news.sorted_items()[:5])
            blocks.append(f'<div class="news"><h3>新闻动态</h3><ul>{lis}</ul></div>')
        quick = "".join(f'<li><a href="{esc(self.column_url(c))}">{esc(c.title)}</a></li>' for c in p.xxgk.children)
        blocks.append(f'<div class="zwgk"><h3>政务公开</h3><ul>{quick}</ul></div>')
        blocks.extend(self.home_extra())
        return Page(self.shell(p.name, "\n".join(blocks)), mtime=self.world_mtime())

    def home_extra(self) -> list[str]:
        return []

    def world_mtime(self) -> dt.datetime:
        """When list-type pages last changed: base date + one hour per world change."""
        return self.p.changed_at

    def render_nav(self, col: Column) -> Page:
        lis = "".join(f'<li><a href="{esc(self.column_url(c))}">{esc(c.title)}</a></li>' for c in col.children)
        body = f'<div class="column"><h2>{esc(col.title)}</h2><ul class="sub-columns">{lis}</ul></div>'
        return Page(self.shell(col.title, body, col), mtime=self.world_mtime())

    def render_text_page(self, col: Column) -> Page:
        p = self.p
        if col.role in ("guide", "unit_guide"):
            owner = col.parent.title if col.role == "unit_guide" and col.parent else p.name
            text = (f"为了更好地提供政府信息公开服务，根据《中华人民共和国政府信息公开条例》，编制《{owner}政府信息公开指南》。"
                    "一、主动公开：公开的范围、公开的形式和时限。二、依申请公开：受理机构、申请方式、处理程序。"
                    f"三、监督和救济。本机关每年1月31日前公布上一年度政府信息公开工作年度报告。")
        else:
            text = "公民、法人或者其他组织可以通过当面、邮寄、网络等方式提出政府信息公开申请。申请表下载。"
        body = f'<div class="article"><h1>{esc(col.title)}</h1><div class="content"><p>{esc(text)}</p></div></div>'
        return Page(self.shell(col.title, body, col), mtime=self.world_mtime())

    def list_html(self, items: list[Item]) -> str:
        lis = "".join(f'<li><a href="{esc(self.list_link(i))}" target="_blank" title="{esc(i.title)}">'
                      f"{esc(i.title)}</a><span class=\"date\">{i.date:%Y-%m-%d}</span></li>" for i in items)
        return f'<ul class="list">{lis or "<li>暂无信息</li>"}</ul>'

    def pager_html(self, col: Column, page: int, pages: int) -> str:
        """Plain links pager (首页 上一页 下一页 尾页)."""
        links = [f'<a href="{esc(self.column_url(col, 1))}">首页</a>']
        if page > 1:
            links.append(f'<a href="{esc(self.column_url(col, page - 1))}">上一页</a>')
        links.append(f"<span>第{page}页/共{pages}页</span>")
        if page < pages:
            links.append(f'<a href="{esc(self.column_url(col, page + 1))}">下一页</a>')
        links.append(f'<a href="{esc(self.column_url(col, pages))}">尾页</a>')
        return f'<div class="pagination">{" ".join(links)}</div>'

    def render_list(self, col: Column, page: int) -> Page:
        pages = self.page_count(col)
        items = self.page_items(col, page)
        subs = ""
        if col.children:
            subs = "".join(f'<a href="{esc(self.column_url(c))}">{esc(c.title)}</a> ' for c in col.children)
            subs = f'<div class="tabs">{subs}</div>'
        body = (f'<div class="column"><h2>{esc(col.title)}</h2>{subs}{self.list_html(items)}'
                f"{self.pager_html(col, page, pages)}</div>")
        return Page(self.shell(col.title, body, col), mtime=self.world_mtime())

    # -- detail pages ----------------------------------------------------------------------------
    def item_mtime(self, item: Item) -> dt.datetime:
        if item.report is not None and item.kind == "report" and item.report.modified is not None:
            return item.report.modified
        return at9(item.date)

    def metadata_block(self, item: Item) -> str:
        """Family-specific 信息公开元数据 block above the body ('' = the report body's own block only)."""
        return ""

    def report_body(self, item: Item) -> str:
        from simulator.render import HTML_VARIANTS, render_report_html

        rep = item.report
        assert rep is not None
        enc = "utf-8" if self.p.encoding == "utf-8" else "gbk"
        if rep.source_kind == "html_inline":
            variant = HTML_VARIANTS[item.id % len(HTML_VARIANTS)]
            return render_report_html(rep.spec(), variant, encoding=enc)
        att = self.attachment_url(item)
        ext = att.rsplit(".", 1)[-1] if att else ""
        spec = rep.spec()
        block = "" if self.metadata_block(item) else (  # the page still carries its 元数据, as real ones do
            '<table class="xxgk_meta"><tr>'
            f"<td>索引号：</td><td>{esc(spec.index_no or '')}</td><td>发布机构：</td><td>{esc(spec.issuer or '')}</td></tr>"
            f"<tr><td>发布日期：</td><td>{spec.published.isoformat() if spec.published else ''}</td>"
            f"<td>文号：</td><td>{esc(spec.doc_no or '')}</td></tr></table>")
        return (f'{block}<div class="article"><h1 class="title">{esc(spec.title)}</h1>'
                f"<p>根据《中华人民共和国政府信息公开条例》规定，现将{esc(rep.agency.name)}{rep.year}年政府信息公开工作年度报告予以公布。</p>"
                f'<p>附件：<a href="{esc(att)}">{esc(spec.title)}.{ext}</a></p></div>')

    def decoy_body(self, item: Item) -> str:
        p, t = self.p, item.title
        if item.kind == "jiedu":
            text = (f"近日，{p.name}发布了政府信息公开工作年度报告。现就报告的主要内容解读如下：一是主动公开情况；"
                    "二是依申请公开情况，全年办理情况较上年有所增长；三是行政复议、行政诉讼情况。")
        elif item.kind == "tujie":
            text = f'<img src="/images/tujie_{item.id}.jpg" alt="{esc(t)}"> 一图读懂政府信息公开工作年度报告。'
            return f'<div class="article"><h1>{esc(t)}</h1><div class="content"><p>{text}</p></div></div>'
        elif item.kind == "website_report":
            rows = "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in (
                ("网站名称", p.name + "门户网站"), ("首页网址", p.home_url), ("主办单位", p.name + "办公室"),
                ("独立用户访问总量（单位：个）", str(item.id % 90000 + 1000)), ("网站总访问量（单位：次）", str(item.id * 3 % 900000)),
                ("信息发布总数（单位：条）", str(item.id % 3000)), ("政务公开栏目", "是")))
            return (f'<div class="article"><h1>{esc(t)}</h1><div class="content"><table class="wzbb">{rows}</table>'
                    "</div></div>")
        elif item.kind == "news" and item.report is not None:
            rep_item = next((i for i in p.reports() if i.report is item.report), None)
            link = f'<a href="{esc(self.item_url(rep_item))}">点击查看</a>' if rep_item is not None else ""
            text = f"日前，{p.name}按照条例要求，向社会公布了{item.report.year}年政府信息公开工作年度报告。{link}"
            return f'<div class="article"><h1>{esc(t)}</h1><div class="content"><p>{text}</p></div></div>'
        elif item.kind == "rules":
            text = "第一条 为规范政府信息公开工作年度报告的编制和发布，制定本制度。第二条 年度报告应于每年1月31日前向社会公布。"
        else:
            text = f"{t}。各乡镇人民政府、街道办事处，县政府各部门：现将有关事项通知如下。"
        return f'<div class="article"><h1>{esc(t)}</h1><div class="content"><p>{esc(text)}</p></div></div>'

    def render_item(self, item: Item) -> Page:
        rep = item.report
        is_report = item.kind == "report" and rep is not None
        title = rep.spec().title if is_report else item.title
        head = (f'<meta name="ArticleTitle" content="{esc(title)}"><meta name="PubDate" content="{item.date:%Y-%m-%d} 09:30">'
                f'<meta name="ContentSource" content="{esc(item.agency.name if item.agency else self.p.name)}">')
        body = self.report_body(item) if is_report else self.decoy_body(item)
        a, b = self.body_container
        content = f"{self.metadata_block(item) if is_report else ''}{a}{body}{b}{self.detail_extra(item)}"
        return Page(self.shell(title, content, item.column, head), mtime=self.item_mtime(item))

    def detail_extra(self, item: Item) -> str:
        return ""

    def render_wap(self, item: Item) -> Page:
        page = self.render_item(item)
        return page

    def render_attachment(self, item: Item) -> Page:
        from simulator.render_files import render_docx, render_pdf

        rep = item.report
        assert rep is not None
        if rep.source_kind == "pdf":
            return Page(render_pdf(rep.spec(), ruled=item.id % 3 != 0), "application/pdf", self.item_mtime(item))
        return Page(render_docx(rep.spec()),
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", self.item_mtime(item))
