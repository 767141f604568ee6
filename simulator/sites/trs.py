"""TRS WCM (拓尔思): index.html / index_1.html … paged only through an inline createPageHTML() call,
t-date detail URLs (./YYYYMM/tYYYYMMDD_<id>.html) with a ``_wap.html`` mobile twin."""

from __future__ import annotations

from simulator.sites.base import Page, Site, esc
from simulator.world import Column, Item


class TrsSite(Site):
    """Pager dialects seen on real TRS sites: ``classic`` createPageHTML(N, i, "index", "html");
    ``container`` createPageHTML('page_div', N, i, 'index', 'shtml', total) on .shtml sites (whose
    lists also truncate long titles); ``countpage`` var countPage = N / var currentPage = i."""

    family = "trs"
    body_container = ('<div class="TRS_Editor">', "</div>")

    def __init__(self, portal) -> None:  # type: ignore[no-untyped-def]
        super().__init__(portal)
        if portal.index == 0:
            self.style, self.ext = "classic", "html"
        elif portal.encoding != "utf-8":
            self.style, self.ext = "container", "shtml"
        else:
            self.style, self.ext = "countpage", "html"

    def column_url(self, col: Column, page: int = 1) -> str:
        if col.slug == "":
            return "/"
        base = "/" + "/".join(col.path) + "/"
        return base + (f"index.{self.ext}" if page == 1 else f"index_{page - 1}.{self.ext}")

    def item_url(self, item: Item) -> str:
        base = "/" + "/".join(item.column.path) + "/"
        return f"{base}{item.date:%Y%m}/t{item.date:%Y%m%d}_{item.id}.{self.ext}"

    def list_html(self, items: list[Item]) -> str:
        if self.style != "container":
            return super().list_html(items)
        lis = "".join(f'<li><a href="{esc(self.list_link(i))}" target="_blank" title="{esc(i.title)}">'
                      f"{esc(i.title if len(i.title) <= 24 else i.title[:24] + '...')}</a>"
                      f"<span>{i.date:%Y-%m-%d}</span></li>" for i in items)
        return f'<ul class="list">{lis or "<li>暂无信息</li>"}</ul>'

    def list_link(self, item: Item) -> str:
        # TRS lists link details relative to the list page: ./YYYYMM/t…html
        return "./" + self.item_url(item).rsplit("/", 2)[-2] + "/" + self.item_url(item).rsplit("/", 1)[-1]

    def wap_url(self, item: Item) -> str | None:
        return self.item_url(item).rsplit(".", 1)[0] + f"_wap.{self.ext}" if item.kind == "report" else None

    def old_urls(self) -> dict[str, str]:
        return {f"/xxgk/ndbg/index.{self.ext}": self.column_url(self.p.nb), "/xxgk/ndbg/": self.column_url(self.p.nb)}

    def home_extra(self) -> list[str]:
        return [f'<div class="old"><a href="/xxgk/ndbg/index.{self.ext}">政府信息公开年度报告（旧版栏目）</a></div>']

    def pager_html(self, col: Column, page: int, pages: int) -> str:
        if self.style == "container":
            call = f"createPageHTML('page_div',{pages}, {page - 1},'index','{self.ext}',{len(col.items)});"
            return f'<div id="page_div"></div><script>{call}</script>'
        if self.style == "countpage":
            return (f'<div class="page"><script>\nvar countPage = {pages}//共多少页\nvar currentPage = {page - 1};//当前页\n'
                    f'createPageHTML(countPage, currentPage, "index", "{self.ext}");\n</script></div>')
        return (f'<div class="page"><script>createPageHTML({pages}, {page - 1}, "index", "{self.ext}");</script></div>'
                '<script src="/js/page.js"></script>')

    def metadata_block(self, item: Item) -> str:
        rep = item.report
        assert rep is not None
        rows = (("索　引　号：", rep.index_no, "主题分类：", "政府信息公开年报"),
                ("发文机关：", rep.issuer, "成文日期：", f"{rep.published:%Y-%m-%d}"),
                ("标　　题：", rep.spec().title, "", ""),
                ("发文字号：", rep.doc_no or "", "发布日期：", f"{item.date:%Y-%m-%d}"))
        trs = "".join(f"<tr><td><b>{a}</b></td><td>{esc(b)}</td><td><b>{c}</b></td><td>{esc(d)}</td></tr>"
                      for a, b, c, d in rows)
        return f'<table class="xxgk-table">{trs}</table>'

    def detail_extra(self, item: Item) -> str:
        wap = self.wap_url(item)
        if not wap:
            return ""
        return f'<div class="tools"><a href="./{esc(wap.rsplit("/", 1)[-1])}">手机版</a> <a href="javascript:window.print()">打印</a></div>'

    def render_wap(self, item: Item) -> Page:
        rep = item.report
        assert rep is not None
        body = self.report_body(item)
        html = (f"<!DOCTYPE html><html><head>{self.meta_charset()}<meta name=\"viewport\" content=\"width=device-width\">"
                f"<title>{esc(rep.spec().title)}</title></head><body class=\"wap\">{body}</body></html>")
        return Page(html, mtime=self.item_mtime(item))
