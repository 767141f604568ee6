"""Coverage of the archive: per county, which agencies have a report for which year, which of those
failed to parse, and how often the county's portals blocked the crawler.

Read-only queries (the SQL stays in storage/); `nianbao coverage` formats the result and the web UI
shows the same numbers through a canned query. "Blocked" comes from two places because neither is
complete alone: the newest crawl_runs.stats entry of each portal (counts challenge pages served
with HTTP 200 too) and the archived captures with a blocking HTTP status (403/412/418/429), which
survive even when a run was killed before writing its stats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from storage import content_docs
from storage.archive import Archive
from storage.writes import AGENCIES, CAPTURES, REPORTS, RUNS, VERSION_CAPTURES, VERSION_CHECKS, VERSIONS

BLOCK_STATUSES = (403, 412, 418, 429)
PARSED = ("ok", "partial")


@dataclass(slots=True)
class YearCell:
    status: str  # ok | partial | failed | missing
    parse_status: str | None = None  # the version's parse_status (None when missing)
    version_id: int | None = None
    failing_checks: list[str] = field(default_factory=list)


@dataclass(slots=True)
class AgencyCoverage:
    agency_id: int
    agency: str
    kind: str
    years: dict[int, YearCell] = field(default_factory=dict)
    undated: int = 0  # reports whose year could not be determined


@dataclass(slots=True)
class CountyCoverage:
    province: str | None
    city: str | None
    county: str | None
    region_code: str | None
    agencies: list[AgencyCoverage] = field(default_factory=list)
    portals: list[str] = field(default_factory=list)
    blocked_last_run: int = 0  # sum over the county's portals of their newest run's "blocked"
    blocked_captures: int = 0  # archived responses with a blocking HTTP status
    parse_errors_last_run: int = 0

    def counts(self, years: Sequence[int]) -> dict[str, int]:
        out = {"ok": 0, "partial": 0, "failed": 0, "missing": 0}
        for a in self.agencies:
            for y in years:
                out[a.years[y].status] += 1
        return out


@dataclass(slots=True)
class Coverage:
    years: list[int]
    counties: list[CountyCoverage]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _region_clause(regions: Sequence[str]) -> Any:
    clauses = []
    for region in (r.strip() for r in regions if r and r.strip()):
        pattern = _like_escape(region) + "%"
        if region.isdigit():
            clauses.append(AGENCIES.c.region_code.like(pattern, escape="\\"))
        else:
            clauses.extend(
                col.like(pattern, escape="\\") for col in (AGENCIES.c.province, AGENCIES.c.city, AGENCIES.c.county)
            )
    return or_(*clauses) if clauses else None


def _portal_stats(conn: Connection) -> dict[str, dict[str, Any]]:
    """The newest run's stats dict for each portal (runs are scanned oldest first, later ones win)."""
    newest: dict[str, dict[str, Any]] = {}
    for (stats,) in conn.execute(select(RUNS.c.stats).where(RUNS.c.stats.is_not(None)).order_by(RUNS.c.id)):
        if not isinstance(stats, dict):
            continue
        for portal, st in stats.items():
            if not str(portal).startswith("_") and isinstance(st, dict):
                newest[str(portal)] = st
    return newest


def coverage(archive: Archive, *, regions: Sequence[str] = (), years: Sequence[int] = ()) -> Coverage:
    with archive._read(snapshot=True) as conn:
        return _coverage(conn, regions, years)


def _coverage(conn: Connection, regions: Sequence[str], only_years: Sequence[int]) -> Coverage:
    where = _region_clause(regions)
    aq = select(
        AGENCIES.c.id, AGENCIES.c.name, AGENCIES.c.kind, AGENCIES.c.province, AGENCIES.c.city,
        AGENCIES.c.county, AGENCIES.c.region_code,
    ).order_by(AGENCIES.c.region_code, AGENCIES.c.county, AGENCIES.c.name, AGENCIES.c.id)
    if where is not None:
        aq = aq.where(where)
    counties: dict[tuple[Any, ...], CountyCoverage] = {}
    agencies: dict[int, AgencyCoverage] = {}
    county_of: dict[int, CountyCoverage] = {}
    for a in conn.execute(aq):
        ckey = (a.region_code, a.province, a.city, a.county)
        county = counties.get(ckey)
        if county is None:
            county = counties[ckey] = CountyCoverage(a.province, a.city, a.county, a.region_code)
        ag = AgencyCoverage(agency_id=int(a.id), agency=a.name, kind=a.kind)
        county.agencies.append(ag)
        agencies[ag.agency_id] = ag
        county_of[ag.agency_id] = county

    vq = (
        select(REPORTS.c.agency_id, REPORTS.c.year, VERSIONS.c.id, VERSIONS.c.parse_status)
        .join(VERSIONS, and_(VERSIONS.c.report_id == REPORTS.c.id, VERSIONS.c.is_current))
        .order_by(REPORTS.c.id)
    )
    fails: dict[int, list[str]] = {}
    for vid, verdicts in conn.execute(
        select(VERSION_CHECKS.c.version_id, VERSION_CHECKS.c.verdicts)
        .join(VERSIONS, and_(VERSIONS.c.id == VERSION_CHECKS.c.version_id, VERSIONS.c.is_current))
        .where(VERSION_CHECKS.c.verdicts.contains('"fail"'))  # only documents with a failing verdict
    ):
        decoded, _ = content_docs.decode_checks(verdicts, None)
        failing = sorted(name for name, verdict in decoded.items() if verdict == "fail")
        if failing:
            fails[int(vid)] = failing
    seen_years: set[int] = set()
    for agency_id, year, vid, parse_status in conn.execute(vq):
        if year is not None:
            seen_years.add(int(year))  # archive-wide: a county with no report that year shows as missing
        found = agencies.get(int(agency_id))
        if found is None:
            continue
        ag = found
        if year is None:
            ag.undated += 1
            continue
        if only_years and year not in only_years:
            continue
        ag.years[int(year)] = YearCell(
            status=parse_status if parse_status in PARSED else "failed",
            parse_status=parse_status,
            version_id=int(vid),
            failing_checks=fails.get(int(vid), []),
        )
    years = sorted(set(only_years) or seen_years)
    for ag in agencies.values():
        for y in years:
            ag.years.setdefault(y, YearCell(status="missing"))
        ag.years = dict(sorted(ag.years.items()))

    # portals of a county: the portals its reports were captured from
    portal_region = (
        select(CAPTURES.c.portal, REPORTS.c.agency_id)
        .join(VERSION_CAPTURES, VERSION_CAPTURES.c.capture_id == CAPTURES.c.id)
        .join(VERSIONS, VERSIONS.c.id == VERSION_CAPTURES.c.version_id)
        .join(REPORTS, REPORTS.c.id == VERSIONS.c.report_id)
        .where(CAPTURES.c.portal.is_not(None))
        .distinct()
    )
    portal_county: dict[str, CountyCoverage] = {}
    for portal, agency_id in conn.execute(portal_region):
        county = county_of.get(int(agency_id))
        if county is not None and portal not in county.portals:
            county.portals.append(portal)
            portal_county.setdefault(portal, county)
    blocked = select(CAPTURES.c.portal, func.count()).where(CAPTURES.c.status.in_(BLOCK_STATUSES)).group_by(
        CAPTURES.c.portal
    )
    for portal, n in conn.execute(blocked):
        county = portal_county.get(portal)
        if county is not None:
            county.blocked_captures += int(n)
    for portal, st in _portal_stats(conn).items():
        county = portal_county.get(portal)
        if county is not None:
            county.blocked_last_run += int(st.get("blocked") or 0)
            county.parse_errors_last_run += int(st.get("parse_errors") or 0)
    for county in counties.values():
        county.portals.sort()
    return Coverage(years=years, counties=list(counties.values()))


def unmatched_portals(archive: Archive) -> list[dict[str, Any]]:
    """Portals with captures but no report at all (e.g. blocked from the start): name, captures, blocked."""
    with archive._read() as conn:
        with_reports = (
            select(CAPTURES.c.portal)
            .join(VERSION_CAPTURES, VERSION_CAPTURES.c.capture_id == CAPTURES.c.id)
            .where(CAPTURES.c.portal.is_not(None))
            .distinct()
        )
        q = (
            select(
                CAPTURES.c.portal,
                func.count(),
                func.sum(case((CAPTURES.c.status.in_(BLOCK_STATUSES), 1), else_=0)),
            )
            .where(CAPTURES.c.portal.is_not(None), CAPTURES.c.portal.not_in(with_reports))
            .group_by(CAPTURES.c.portal)
            .order_by(CAPTURES.c.portal)
        )
        stats = _portal_stats(conn)
        return [
            {
                "portal": portal,
                "captures": int(n),
                "blocked_captures": int(b or 0),
                "blocked_last_run": int((stats.get(portal) or {}).get("blocked") or 0),
            }
            for portal, n, b in conn.execute(q)
        ]
