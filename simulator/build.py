"""Lay out a World: portals, column trees, agencies, which (agency, year) reports exist, decoys, faults."""

from __future__ import annotations

import datetime as dt
import math
import random

from simulator import names
from simulator.world import (
    FIRST_YEAR,
    LAST_YEAR,
    LINEUP,
    REPEAT,
    Agency,
    Column,
    Item,
    Portal,
    Report,
    World,
    template_for,
)

# portals whose departments keep their 年报 under their own 信息公开 node (share of departments)
OWN_NODE_SHARE = {"anhui": 1.0, "hanweb": 0.4, "trs": 0.2}
# portals with per-year sub-columns under 乡镇 (…/xz/2021n/)
PER_YEAR_TOWNS = {"trs", "generic", "jiangsu"}
DEFECT_KEYS = ("t3.granted.natural_person", "t3.result_total.total", "t4.review.total", "t3.new_received.total")


def n_portals(n_reports: int) -> int:
    if n_reports <= 20:
        return 6
    if n_reports <= 100:
        return 9
    return 9 + math.ceil((n_reports - 100) / 150)


def build(seed: int, n_reports: int) -> World:
    n_reports = max(1, n_reports)
    count = n_portals(n_reports)
    per_portal = n_reports / count
    world = World(seed, per_page=max(3, min(15, int(per_portal // 4))))
    rng = random.Random(f"{seed}|world")
    used: set[str] = set()
    budgets = [n_reports // count + (1 if i < n_reports % count else 0) for i in range(count)]
    for i in range(count):
        family, encoding, prov = LINEUP[i] if i < len(LINEUP) else REPEAT[(i - len(LINEUP)) % len(REPEAT)]
        p = _portal(world, i, family, encoding, prov, rng, used)
        world.portals.append(p)
        _allocate(world, p, budgets[i])
        _decoys(world, p)
    _faults(world)
    return world


def _host(i: int) -> str:
    return f"127.0.{i // 250}.{2 + i % 250}"


def _portal(world: World, i: int, family: str, encoding: str, prov_key: str, rng: random.Random,
            used: set[str]) -> Portal:
    from simulator.sites import make_site

    province, pcode, cities = names.PROVINCES[prov_key]
    prng = random.Random(f"{world.seed}|portal|{i}")
    county = names.county_name(rng, used)
    city_i = prng.randrange(len(cities))
    region = f"{pcode}{city_i + 1:02d}{21 + i % 70:02d}"
    root = Column(cid=0, title="首页", slug="", kind="nav", role="home")
    p = Portal(index=i, family=family, encoding=encoding, county=county, province=province, city=cities[city_i],
               region_code=region, host=_host(i), agencies=[], root=root, xxgk=root, nb=root,
               per_page=world.per_page, rng_seed=f"{world.seed}|{i}")
    p.next_id = prng.randint(10000, 80000) * 10 + (2_000_000 if family == "gkmlpt" else 0)
    p.next_cid = prng.randint(1000, 9000) * 10
    p.columns[0] = root
    xxgk = p.new_column("政府信息公开", "zfxxgk", root, "nav", "xxgk")
    p.xxgk = xxgk
    p.new_column("政府信息公开指南", "zfxxgkzn", xxgk, "page", "guide")
    p.new_column("政府信息公开制度", "zfxxgkzd", xxgk, "list", "rules")
    p.new_column("法定主动公开内容", "fdzdgknr", xxgk, "list", "policy")
    nb = p.new_column("政府信息公开年报", "zfxxgknb", xxgk, "nav", "nb")
    p.nb = nb
    p.new_column("县政府", "xzf", nb, "list", "nb_gov")
    p.new_column("部门", "bm", nb, "list", "nb_dept")
    p.new_column("乡镇", "xz", nb, "nav" if family in PER_YEAR_TOWNS else "list", "nb_town")
    p.new_column("依申请公开", "ysqgk", xxgk, "page", "apply")
    p.new_column("政府网站工作年度报表", "zfwzgzndbb", xxgk, "list", "wzbb")
    p.new_column("新闻动态", "xwdt", root, "list", "news")

    # agencies
    ag = p.agencies
    ag.append(Agency(f"{i}:gov", f"{county}人民政府", "county_government", names.org_code(prng)))
    ag.append(Agency(f"{i}:sum", county, "summary", names.org_code(prng)))
    ag.append(Agency(f"{i}:office", f"{county}人民政府办公室", "government_office", names.org_code(prng)))
    depts = prng.sample(names.DEPARTMENTS, prng.randint(10, min(30, len(names.DEPARTMENTS))))
    towns = names.township_names(prng, prng.randint(5, 15))
    share = OWN_NODE_SHARE.get(family, 0.0)
    dept_ag = [Agency(f"{i}:d{k}", f"{county}{d}", "department", names.org_code(prng), own_node=prng.random() < share)
               for k, d in enumerate(depts)]
    town_ag = [Agency(f"{i}:t{k}", f"{county}{t}", "township", names.org_code(prng),
                      own_node=family == "anhui") for k, t in enumerate(towns)]
    # interleave so that small budgets still cover every kind of agency
    order = [ag[0]]
    rest = [ag[1], ag[2]]
    for k in range(max(len(dept_ag), len(town_ag))):
        if k < len(dept_ag):
            order.append(dept_ag[k])
        if k < len(town_ag):
            order.append(town_ag[k])
        if k < 2:
            order.append(rest[k])
    p.agencies = order
    if any(a.own_node for a in order):
        units = p.new_column("部门和乡镇信息公开", "bmxxgk", xxgk, "nav", "units")
        for k, a in enumerate(a for a in order if a.own_node):
            u = p.new_column(a.name, f"dw{k + 1:02d}", units, "nav", "unit")
            p.new_column("政府信息公开指南", "zn", u, "page", "unit_guide")
            a.node = p.new_column("政府信息公开年报", "zfxxgknb", u, "list", "unit_nb")
    p.site = make_site(p)
    return p


def _allocate(world: World, p: Portal, budget: int) -> None:
    """Give the portal `budget` reports: contiguous recent years per agency so the carry link is testable."""
    if budget <= 0:
        return
    agencies = p.agencies
    n_years = 1 if budget < 4 else max(2, min(LAST_YEAR - FIRST_YEAR + 1, budget // len(agencies)))
    rng = random.Random(f"{p.rng_seed}|alloc")
    left = budget
    for a in agencies:
        for year in range(LAST_YEAR, LAST_YEAR - n_years, -1):
            if left == 0:
                return
            add_report(world, p, a, year, rng)
            left -= 1
    # more budget than agencies x years: fill older years
    year = LAST_YEAR - n_years
    while left > 0 and year >= FIRST_YEAR - 3:
        for a in agencies:
            if left == 0:
                return
            add_report(world, p, a, year, rng)
            left -= 1
        year -= 1


def _column_for(p: Portal, a: Agency, year: int) -> Column:
    if a.own_node and a.node is not None:
        return a.node
    role = {"county_government": "nb_gov", "summary": "nb_gov", "government_office": "nb_gov",
            "department": "nb_dept", "township": "nb_town"}[a.kind]
    col = next(c for c in p.nb.children if c.role == role)
    if col.kind == "nav":  # per-year sub-columns
        slug = f"{year}n"
        sub = next((c for c in col.children if c.slug == slug), None)
        if sub is None:
            sub = p.new_column(f"{year}年", slug, col, "list", "nb_town_year")
            col.children.sort(key=lambda c: c.slug, reverse=True)
        return sub
    return col


def _title(rng: random.Random, a: Agency, year: int) -> str:
    r = rng.random()
    n = a.name
    if r < 0.68:
        return f"{n}{year}年政府信息公开工作年度报告"
    if r < 0.78:
        return f"{year}年度{n}政府信息公开工作年度报告"
    if r < 0.83 and a.kind != "summary":
        return f"关于{year}年度政府信息公开工作的年度报告"
    if r < 0.91:
        return f"{n}{year}年政府信息公开工作的年度报告"
    if r < 0.98:
        return f"{n}{year}年政府信息公开年度报告"
    return f"{n}{year}年度政府信息公开工作年度报告（超链版）"


def _published(rng: random.Random, a: Agency, year: int) -> dt.date:
    start = dt.date(year + 1, 1, 1)
    if rng.random() < 0.02:  # late re-publication
        return start + dt.timedelta(days=rng.randint(100, 200))
    lo, hi = {"department": (4, 30), "township": (4, 58)}.get(a.kind, (31, 89))
    return start + dt.timedelta(days=rng.randint(lo, hi))


def add_report(world: World, p: Portal, a: Agency, year: int, rng: random.Random) -> Item:
    template = template_for(world.seed, a, year)
    published = _published(rng, a, year)
    seq = rng.randint(1, 99999)
    index_no = (f"{a.org_code}/{year + 1}{published.month:02d}-{seq:05d}" if rng.random() < 0.2
                else f"{a.org_code}/{year + 1}-{seq:05d}")
    office = f"{p.county}人民政府办公室"
    issuer = office if a.kind == "summary" or (a.kind == "township" and rng.random() < 0.15) else a.name
    doc_no = f"{p.county[:2]}政办发〔{year + 1}〕{rng.randint(1, 60)}号" if rng.random() < 0.2 else None
    if p.family == "jiangsu":
        kind = "pdf"
    elif p.family == "generic" and rng.random() < 0.35:
        kind = "docx"
    else:
        kind = "html_inline"
    has_tables = template != "pre2019"
    blank_share = 0.9 if rng.random() < 0.25 else 0.0
    # defects only in fully filled tables: with blanks, a broken sum is "not assessable", not a failure
    defect = rng.choice(DEFECT_KEYS) if has_tables and not blank_share and rng.random() < 0.05 else None
    rep = Report(agency=a, year=year, template=template, title=_title(rng, a, year), published=published,
                 index_no=index_no, issuer=issuer, doc_no=doc_no, source_kind=kind, blank_share=blank_share,
                 defect=defect, seed=world.seed)
    col = _column_for(p, a, year)
    item = p.add_item(Item(p.new_id(rng), "report", rep.title, published, col, report=rep, agency=a))
    if a.kind == "county_government":
        if rng.random() < 0.6:
            p.add_item(Item(p.new_id(rng), "jiedu", f"《{rep.title}》解读", published + dt.timedelta(days=1), col,
                            agency=a))
        if rng.random() < 0.3:
            p.add_item(Item(p.new_id(rng), "tujie", f"图解：{p.county}{year}年政府信息公开工作年度报告",
                            published + dt.timedelta(days=2), col, agency=a))
    return item


def add_missing_reports(world: World, k: int) -> list[Item]:
    """k new reports for (agency, year) pairs that do not exist yet: first agencies without any, then older years."""
    out: list[Item] = []
    rng = world._rng
    candidates: list[list[tuple[Agency, int]]] = []
    for p in world.portals:
        have = {(i.report.agency.key, i.report.year) for i in p.reports()}
        cands = [(a, y) for y in range(world.current_year, FIRST_YEAR - 1, -1) for a in p.agencies
                 if (a.key, y) not in have]
        candidates.append(cands)
    pi = 0
    while len(out) < k and any(candidates):
        p = world.portals[pi % len(world.portals)]
        cands = candidates[pi % len(world.portals)]
        if cands:
            a, y = cands.pop(0)
            out.append(add_report(world, p, a, y, rng))
        pi += 1
    return out


def _decoys(world: World, p: Portal) -> None:
    rng = random.Random(f"{p.rng_seed}|decoys")
    by_role = {c.role: c for c in p.xxgk.walk()}
    news = next(c for c in p.root.children if c.role == "news")
    for y in range(FIRST_YEAR, LAST_YEAR + 1):
        p.add_item(Item(p.new_id(rng), "website_report", f"{p.county}人民政府门户网站{y}年政府网站工作年度报表",
                        dt.date(y + 1, 1, rng.randint(10, 28)), by_role["wzbb"]))
    for t in ("政府信息公开工作年度报告制度", "政府信息公开保密审查制度", "政府信息公开申请办理制度"):
        p.add_item(Item(p.new_id(rng), "rules", f"{p.county}{t}", dt.date(2019, rng.randint(6, 12), 1), by_role["rules"]))
    for t in ("关于进一步加强政务公开工作的通知", "关于印发优化营商环境若干措施的通知", "关于做好防汛工作的通知"):
        p.add_item(Item(p.new_id(rng), "policy", f"{p.county}人民政府办公室{t}",
                        dt.date(LAST_YEAR, rng.randint(1, 12), rng.randint(1, 28)), by_role["policy"]))
    gov = [i for i in p.reports() if i.report.agency.kind == "county_government"]
    if gov:
        latest = max(gov, key=lambda i: i.report.year)
        p.add_item(Item(p.new_id(rng), "news", f"{p.county}发布{latest.report.year}年政府信息公开工作年度报告",
                        latest.date + dt.timedelta(days=1), news, report=latest.report, agency=latest.agency))
    for t in ("召开全县经济工作会议", "开展安全生产大检查", "举办政务公开日活动"):
        p.add_item(Item(p.new_id(rng), "news", f"{p.county}{t}", dt.date(LAST_YEAR + 1, rng.randint(1, 5), 9), news))
    # a dead link: an old report that was deleted (404)
    target = next((c for c in p.nb.children if c.role == "nb_dept"), p.nb.children[0])
    p.add_item(Item(p.new_id(rng), "dead", f"{p.county}农业机械管理局2017年政府信息公开工作年度报告",
                    dt.date(2018, 3, 20), target))


def _faults(world: World) -> None:
    """Place the deliberate faults: robots Disallow, 412 pages, a slow page, a 500-once list, old URLs."""
    for p in world.portals:
        p.robots_disallow = ["/search/", "/admin/"]
    p0 = world.portals[0]  # TRS: robots Disallow over one month directory of reports, 500-once list page
    reps = sorted(p0.reports(), key=lambda i: (i.report.agency.kind == "county_government", i.report.year, i.id))
    if len(reps) >= 2:
        url = p0.site.item_url(reps[0])
        p0.robots_disallow.append(url.rsplit("/", 1)[0] + "/")
    dept = next((c for c in p0.nb.children if c.role == "nb_dept"), None)
    if dept is not None:
        p0.fail_once.add(p0.site.column_url(dept, 1))
    if len(world.portals) > 1:  # Hanweb: one slow report page
        p1 = world.portals[1]
        r1 = p1.reports()
        if r1:
            p1.slow_ids.add(r1[len(r1) // 2].id)
    for p in world.portals:
        if p.family == "generic" and p.encoding == "utf-8":
            rng = random.Random(f"{p.rng_seed}|waf")
            reps = p.reports()
            for i, it in enumerate(reps):
                if i == 1 or (i > 1 and rng.random() < 0.15):
                    p.waf_ids.add(it.id)
        if p.family == "generic":
            rng = random.Random(f"{p.rng_seed}|old")
            for k, it in enumerate(it for it in p.reports() if it.id not in p.waf_ids):
                if k == 0 or rng.random() < 0.3:  # at least one old link per generic portal
                    p.redirected_ids.add(it.id)
