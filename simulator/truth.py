"""What a perfect crawl of a world should find: every report with its canonical URL and cells.

Reports behind a robots.txt Disallow or a 412 challenge are listed separately, since a polite
crawler cannot (and should not) archive them.
"""

from __future__ import annotations

from simulator.cells import check_identities, cross_year
from simulator.spec import ReportSpec
from simulator.world import Portal, Report, Truth, TruthReport, World


def disallowed(portal: Portal, path: str) -> bool:
    """Whether the portal's robots.txt forbids a path (all rules are plain prefixes for User-agent: *)."""
    if portal.encoding == "gbk-none":  # that portal has no robots.txt (404 = everything allowed)
        return False
    return any(path.startswith(rule) for rule in portal.robots_disallow)


def _checks(rep: Report, spec: ReportSpec) -> dict[str, str]:
    """Within-report check verdicts, memoised on the report until its spec changes."""
    memo = getattr(rep, "_checks_memo", None)
    if memo is None or memo[0] is not spec:
        memo = (spec, check_identities(spec.cells, spec.template))
        rep._checks_memo = memo  # type: ignore[attr-defined]
    return memo[1]


def build_truth(world: World) -> Truth:
    reachable: list[TruthReport] = []
    robots: list[TruthReport] = []
    blocked: list[TruthReport] = []
    for p in world.portals:
        site = p.site
        reps = p.reports()
        by_agency_year = {(i.report.agency.key, i.report.year): i.report for i in reps}
        for item in reps:
            rep = item.report
            spec = rep.spec()
            path = site.item_url(item)
            checks = dict(_checks(rep, spec))
            prev = by_agency_year.get((rep.agency.key, rep.year - 1))
            if checks and prev is not None and prev.template in ("v2019", "v2021"):
                checks["cross_year"] = cross_year(spec.cells, prev.spec().cells)
            alt = []
            if site.wap_url(item):
                alt.append(p.base_url + site.wap_url(item))
            if site.list_link(item) != path and not site.list_link(item).startswith("./"):
                alt.append(p.base_url + site.list_link(item))
            att = site.attachment_url(item)
            if item.id in p.waf_ids:
                status = "blocked"
            elif disallowed(p, path):
                status = "disallowed"
            else:
                status = "reachable"
            tr = TruthReport(
                report_id=item.id, portal=p.name, host=p.host, url=p.base_url + path, agency=spec.agency,
                agency_kind=spec.agency_kind, year=spec.year, template=spec.template, title=spec.title,
                cells=dict(spec.cells),
                metadata={"index_no": spec.index_no, "issuer": spec.issuer, "doc_no": spec.doc_no,
                          "published": spec.published.isoformat() if spec.published else None},
                source_kind=rep.source_kind, attachment_url=p.base_url + att if att else None, status=status,
                checks=checks, alt_urls=alt)
            {"reachable": reachable, "disallowed": robots, "blocked": blocked}[status].append(tr)
    return Truth(reports=reachable, disallowed=robots, blocked=blocked)
