"""The simulated web: portals, their column trees, agencies, reports, decoys and faults.

``build_world(seed, n_reports)`` only lays out structure (names, ids, dates, URLs); report cells and
page bodies are produced lazily, so a world of tens of thousands of reports builds in seconds.
Everything is drawn from RNGs keyed by the seed and stable names, so one seed gives one world.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from simulator import cells as cellgen
from simulator import names
from simulator.spec import ReportSpec

SIZES: dict[str, int] = {"tiny": 12, "small": 60, "medium": 600, "large": 6000}
FIRST_YEAR = 2018
LAST_YEAR = 2023  # the newest report year published when the world is built

# portal line-up: (family, encoding mode, provinces key); the first six are always present,
# the GBK ones from size "small" on, then the families repeat for larger worlds.
LINEUP: tuple[tuple[str, str, str], ...] = (
    ("trs", "utf-8", "trs"),
    ("hanweb", "utf-8", "hanweb"),
    ("gkmlpt", "utf-8", "gkmlpt"),
    ("anhui", "utf-8", "anhui"),
    ("jiangsu", "utf-8", "jiangsu"),
    ("generic", "utf-8", "generic"),
    ("trs", "gbk-header", "trs_alt"),
    ("generic", "gbk-meta", "generic_alt"),
    ("anhui", "gbk-none", "anhui"),
)
REPEAT = (("trs", "utf-8", "trs_alt"), ("hanweb", "utf-8", "hanweb"), ("gkmlpt", "utf-8", "gkmlpt"),
          ("anhui", "utf-8", "anhui"), ("jiangsu", "utf-8", "jiangsu"), ("generic", "utf-8", "generic_alt"))


@dataclass(eq=False)
class Agency:
    key: str  # unique in the world, seeds the agency's cells
    name: str
    kind: str  # county_government | government_office | department | township | summary
    org_code: str
    own_node: bool = False  # reports kept under the unit's own 信息公开 node
    node: Column | None = None  # that node's 年报 list, when own_node


@dataclass(eq=False)
class Column:
    cid: int
    title: str
    slug: str
    parent: Column | None = None
    children: list[Column] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    kind: str = "list"  # nav (links to children) | list (paged items) | page (one static text)
    role: str = ""  # what the column is for: nb, nb_gov, nb_dept, nb_town, unit, rules, guide, ...

    @property
    def path(self) -> tuple[str, ...]:
        parts: list[str] = []
        c: Column | None = self
        while c is not None and c.slug:
            parts.append(c.slug)
            c = c.parent
        return tuple(reversed(parts))

    def ancestors(self) -> list[Column]:
        out, c = [], self
        while c is not None:
            out.append(c)
            c = c.parent
        return list(reversed(out))

    def walk(self):
        yield self
        for ch in self.children:
            yield from ch.walk()

    def sorted_items(self) -> list[Item]:
        return sorted(self.items, key=lambda i: (i.date, i.id), reverse=True)


@dataclass(eq=False)
class Report:
    agency: Agency
    year: int
    template: str
    title: str
    published: dt.date
    index_no: str
    issuer: str
    doc_no: str | None
    source_kind: str  # html_inline | pdf | docx
    blank_share: float  # share of zero cells left blank
    defect: str | None  # a cell deliberately made inconsistent
    seed: int
    version: int = 0
    modified: dt.datetime | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    _spec: ReportSpec | None = None

    def spec(self) -> ReportSpec:
        """The report's truth as a ReportSpec (built on first use, then cached)."""
        if self._spec is None:
            a = self.agency
            prev_t = template_for(self.seed, a, self.year - 1)
            c = cellgen.make_cells(self.seed, a.key, a.kind, self.year, self.template, prev_t)
            rng = random.Random(f"{self.seed}|{a.key}|{self.year}|blank")
            if self.blank_share:
                cellgen.blank_zeros(c, rng, self.blank_share)
            if self.defect and self.defect in c:
                c[self.defect] = (c[self.defect] or 0) + rng.randint(1, 3)
            c.update(self.overrides.get("cells", {}))
            spec = ReportSpec(agency=a.name, agency_kind=a.kind, year=self.year, template=self.template,
                              title=self.overrides.get("title", self.title), cells=c, index_no=self.index_no,
                              issuer=self.issuer, doc_no=self.doc_no, published=self.published,
                              sections={**_sections(a, self.year, c), **self.overrides.get("sections", {})})
            self._spec = spec
        return self._spec


@dataclass(eq=False)
class Item:
    """One entry in a list: a report or a decoy page (or a dead link)."""

    id: int
    kind: str  # report | jiedu | tujie | website_report | rules | guide | news | policy | dead
    title: str
    date: dt.date
    column: Column
    report: Report | None = None
    agency: Agency | None = None


@dataclass(eq=False)
class Portal:
    index: int
    family: str
    encoding: str  # utf-8 | gbk-header | gbk-meta | gbk-none
    county: str
    province: str
    city: str
    region_code: str
    host: str
    agencies: list[Agency]
    root: Column  # the home page's nav root (slug "")
    xxgk: Column  # 政府信息公开
    nb: Column  # 政府信息公开年报
    per_page: int
    rng_seed: str
    port: int = 80
    changed_at: dt.datetime = dt.datetime(2024, 4, 1, 8, 0)  # Last-Modified of list-type pages
    items: dict[int, Item] = field(default_factory=dict)
    columns: dict[int, Column] = field(default_factory=dict)
    next_id: int = 0
    next_cid: int = 0
    # faults
    robots_disallow: list[str] = field(default_factory=list)
    waf_ids: set[int] = field(default_factory=set)  # items answered with a 412 challenge
    slow_ids: set[int] = field(default_factory=set)
    fail_once: set[str] = field(default_factory=set)  # paths that fail with 500 on first request
    redirected_ids: set[int] = field(default_factory=set)  # linked by an old URL that 301s
    site: Any = None

    @property
    def name(self) -> str:
        return f"{self.county}人民政府"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}" if self.port != 80 else f"http://{self.host}"

    @property
    def home_url(self) -> str:
        return self.base_url + "/"

    def new_id(self, rng: random.Random) -> int:
        self.next_id += rng.randint(1, 37)
        return self.next_id

    def new_column(self, title: str, slug: str, parent: Column | None, kind: str = "list", role: str = "") -> Column:
        self.next_cid += 1
        col = Column(cid=self.next_cid, title=title, slug=slug, parent=parent, kind=kind, role=role)
        if parent is not None:
            parent.children.append(col)
        self.columns[col.cid] = col
        return col

    def add_item(self, item: Item) -> Item:
        self.items[item.id] = item
        item.column.items.append(item)
        return item

    def reports(self) -> list[Item]:
        return [i for i in self.items.values() if i.kind == "report"]


def template_for(seed: int, agency: Agency, year: int) -> str:
    """Format version an agency used for a year: by year, but some 2021/2022 reports kept the 2019 form."""
    if year <= 2018:
        return "pre2019"
    if year <= 2020:
        return "v2019"
    if year <= 2022:
        r = random.Random(f"{seed}|{agency.key}|{year}|tpl").random()
        share = 0.3 if agency.kind == "township" else 0.08
        return "v2019" if r < share else "v2021"
    return "v2021"


def _sections(a: Agency, year: int, c: dict) -> dict[str, str]:
    total = c.get("t3.new_received.total")
    out = {"overall": f"{year}年，{a.name}认真贯彻落实《中华人民共和国政府信息公开条例》，"
                      "扎实推进政府信息公开工作，进一步提升政务公开质量。"}
    if a.kind == "summary":  # as real county-wide reports say (正定县 2022, sample 13)
        out["overall"] = (f"本报告在{year}年全县各乡（镇、街道办事处）、县政府各部门政府信息公开工作年度报告"
                          "基础上汇总编制。" + out["overall"])
    if total is not None:
        out["requests"] = f"{year}年，{a.name}共收到政府信息公开申请{total}件，均在法定期限内答复。"
    return out


class World:
    """A deterministic set of county portals with their reports; see build_world."""

    def __init__(self, seed: int, per_page: int) -> None:
        self.seed = seed
        self.per_page = per_page
        self.portals: list[Portal] = []
        self.current_year = LAST_YEAR
        self.generation = 0  # bumped on every change; part of the page cache key
        self.lock = threading.RLock()
        self._rng = random.Random(f"{seed}|world-changes")

    def _changed(self) -> None:
        """Record a change: new cache generation, and list pages get a newer Last-Modified."""
        self.generation += 1
        for p in self.portals:
            p.changed_at += dt.timedelta(hours=1)

    # -- truth ---------------------------------------------------------------------------------
    def truth(self) -> Truth:
        """Every report with its canonical URL, split into reachable / robots-disallowed / 412-blocked."""
        from simulator.truth import build_truth

        return build_truth(self)

    def report_items(self) -> list[tuple[Portal, Item]]:
        return [(p, i) for p in self.portals for i in p.reports()]

    def find_report(self, key: int | str) -> tuple[Portal, Item]:
        """A report by item id or by (canonical) URL."""
        for p in self.portals:
            for i in p.reports():
                if i.id == key or (isinstance(key, str) and p.base_url + p.site.item_url(i) == key):
                    return p, i
        raise KeyError(key)

    # -- changes between two crawls -----------------------------------------------------------
    def add_reports(self, k: int) -> list[Item]:
        """Publish k more reports (earlier years or agencies that had none), spread over portals."""
        from simulator.build import add_missing_reports

        with self.lock:
            out = add_missing_reports(self, k)
            self._changed()
            return out

    def publish_next_year(self) -> list[Item]:
        """Every agency with a report for the current year publishes the next year's report."""
        from simulator.build import add_report

        with self.lock:
            year = self.current_year + 1
            out = []
            for p in self.portals:
                rng = random.Random(f"{self.seed}|{p.index}|publish|{year}")
                have = {(i.report.agency.key, i.report.year) for i in p.reports()}
                for a in p.agencies:
                    if (a.key, year - 1) in have and (a.key, year) not in have:
                        out.append(add_report(self, p, a, year, rng))
            self.current_year = year
            self._changed()
            return out

    def change_report(self, key: int | str, *, title: str | None = None,
                      cells: dict[str, int | float | None] | None = None) -> Item:
        """Modify one published report in place (same URL): new body, ETag and Last-Modified.

        Without title/cells the change is a text revision (section 六) that keeps the cells."""
        with self.lock:
            _p, item = self.find_report(key)
            rep = item.report
            assert rep is not None
            if title is not None:
                rep.overrides["title"] = title
                item.title = title
            if cells:
                rep.overrides.setdefault("cells", {}).update(cells)
            if title is None and not cells:  # a silent correction: new text, same (consistent) cells
                rep.overrides.setdefault("sections", {})["other"] = (
                    f"本报告于{self.current_year + 1}年6月更新（第{rep.version + 1}次修订），更正了部分文字表述。")
            rep.version += 1
            rep.modified = dt.datetime(self.current_year + 1, 6, 1) + dt.timedelta(days=rep.version)
            rep._spec = None
            self._changed()
            return item

    def summary(self) -> str:
        lines = []
        for p in self.portals:
            lines.append(f"{p.home_url:32} {p.name:12} {p.family:8} {p.encoding:10} reports={len(p.reports())}")
        return "\n".join(lines)


@dataclass
class TruthReport:
    report_id: int
    portal: str
    host: str
    url: str  # canonical URL a crawler should archive
    agency: str
    agency_kind: str
    year: int
    template: str
    title: str
    cells: dict[str, int | float | None]
    metadata: dict[str, Any]
    source_kind: str
    attachment_url: str | None
    status: str  # reachable | disallowed | blocked
    checks: dict[str, str]
    alt_urls: list[str] = field(default_factory=list)  # _wap twin / old URL (duplicates, not canonical)


@dataclass
class Truth:
    reports: list[TruthReport]  # reachable
    disallowed: list[TruthReport]
    blocked: list[TruthReport]

    def by_url(self) -> dict[str, TruthReport]:
        return {r.url: r for r in self.reports}



def build_world(seed: int, n_reports: int | str) -> World:
    """A world of about n_reports reports (or a named size: tiny, small, medium, large)."""
    from simulator.build import build

    if isinstance(n_reports, str):
        n_reports = SIZES[n_reports]
    return build(seed, int(n_reports))


__all__ = ["SIZES", "Agency", "Column", "Item", "Portal", "Report", "Truth", "TruthReport", "World",
           "build_world", "names", "template_for"]
