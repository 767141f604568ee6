"""SQL that reads the archive back: the current-versions query (with the export filters) that
exports and Archive.export_records stream from, URL lists, and the integrity checks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, exists, func, or_, select

from storage.writes import (
    AGENCIES,
    BLOBS,
    CAPTURES,
    REPORTS,
    SECTIONS,
    VERSION_CAPTURES,
    VERSION_CELLS,
    VERSION_CHECKS,
    VERSIONS,
)

FILTERS = ("year", "region", "agency", "template")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return [v for v in value if v is not None and v != ""]
    return [value]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def current_versions_query(filters: dict[str, Any]) -> Select[Any]:
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise TypeError(f"unknown export filter(s): {', '.join(sorted(unknown))} (known: {', '.join(FILTERS)})")
    capture_sha = (
        select(CAPTURES.c.sha256)
        .join(VERSION_CAPTURES, VERSION_CAPTURES.c.capture_id == CAPTURES.c.id)
        .where(VERSION_CAPTURES.c.version_id == VERSIONS.c.id, VERSION_CAPTURES.c.parsed_from)
        .order_by(VERSION_CAPTURES.c.capture_id)
        .limit(1)
        .scalar_subquery()
    )
    q = (
        select(
            VERSIONS.c.id.label("version_id"),
            REPORTS.c.id.label("report_id"),
            AGENCIES.c.name.label("agency"),
            AGENCIES.c.region_code,
            REPORTS.c.year,
            VERSIONS.c.title,
            VERSIONS.c.url,
            VERSIONS.c.index_no,
            VERSIONS.c.issuer,
            VERSIONS.c.doc_no,
            VERSIONS.c.published_date,
            VERSIONS.c.template,
            VERSIONS.c.source,
            VERSIONS.c.parser_version,
            VERSIONS.c.parse_status,
            VERSIONS.c.parse_message,
            capture_sha.label("capture"),
        )
        .select_from(VERSIONS)
        .join(REPORTS, REPORTS.c.id == VERSIONS.c.report_id)
        .join(AGENCIES, AGENCIES.c.id == REPORTS.c.agency_id)
        .where(VERSIONS.c.is_current)
        .order_by(  # same order on both dialects (their NULL placement differs by default)
            AGENCIES.c.region_code.nulls_first(), AGENCIES.c.name, REPORTS.c.year.nulls_first(), VERSIONS.c.id
        )
    )
    years = [int(y) for y in _as_list(filters.get("year"))]
    if years:
        q = q.where(REPORTS.c.year.in_(years))
    templates = [str(t) for t in _as_list(filters.get("template"))]
    if templates:
        q = q.where(VERSIONS.c.template.in_(templates))
    regions = [str(r).strip() for r in _as_list(filters.get("region"))]
    if regions:
        clauses = []
        for region in regions:
            if region.isdigit():
                clauses.append(AGENCIES.c.region_code.like(_like_escape(region) + "%", escape="\\"))
            else:
                pattern = _like_escape(region) + "%"
                clauses.extend(
                    col.like(pattern, escape="\\") for col in (AGENCIES.c.province, AGENCIES.c.city, AGENCIES.c.county)
                )
        q = q.where(or_(*clauses))
    agencies = [str(a).strip() for a in _as_list(filters.get("agency"))]
    if agencies:
        q = q.where(or_(*(AGENCIES.c.name.like("%" + _like_escape(a) + "%", escape="\\") for a in agencies)))
    return q


def _count_where(table: Any, *conditions: Any) -> Any:
    return select(func.count()).select_from(table).where(*conditions)


def integrity_queries() -> list[tuple[str, Any]]:
    """(label, SELECT count(*) of offending rows) pairs; foreign keys already cover most of this on a
    healthy database, these catch what constraints cannot (and databases written with them off)."""
    rvc, v = VERSION_CAPTURES, VERSIONS
    current = select(func.count()).where(v.c.report_id == REPORTS.c.id, v.c.is_current).scalar_subquery()
    return [
        (
            "report version(s) without a page capture",
            _count_where(v, ~exists().where(rvc.c.version_id == v.c.id, rvc.c.role == "page")),
        ),
        (
            "version-capture link(s) to a missing capture",
            _count_where(rvc, ~exists().where(CAPTURES.c.id == rvc.c.capture_id)),
        ),
        (
            "cells document(s) without their version",
            _count_where(VERSION_CELLS, ~exists().where(v.c.id == VERSION_CELLS.c.version_id)),
        ),
        (
            "checks document(s) without their version",
            _count_where(VERSION_CHECKS, ~exists().where(v.c.id == VERSION_CHECKS.c.version_id)),
        ),
        (
            "section(s) without their version",
            _count_where(SECTIONS, ~exists().where(v.c.id == SECTIONS.c.version_id)),
        ),
        (
            "capture(s) pointing at a missing blob",
            _count_where(CAPTURES, ~exists().where(BLOBS.c.sha256 == CAPTURES.c.sha256)),
        ),
        (
            "blob(s) not referenced by any capture",
            _count_where(BLOBS, ~exists().where(CAPTURES.c.sha256 == BLOBS.c.sha256)),
        ),
        ("report(s) without exactly one current version", _count_where(REPORTS, current != 1)),
    ]


def current_report_urls(conn: Connection) -> set[str]:
    """URLs of current report versions: one narrow scan of report_versions, no cells, no joins
    (what the crawler needs at start, where a full export would grow with the archive)."""
    return {u for (u,) in conn.execute(select(VERSIONS.c.url).where(VERSIONS.c.is_current)) if u}


def validators_under(conn: Connection, prefix: str) -> dict[str, tuple[int, str, int, str | None, str | None]]:
    """url -> (capture id, sha256, status, etag, last_modified) of the newest 2xx capture, for every
    requested or final URL starting with ``prefix`` (one portal host): the same answer per URL as a
    ``validators_for`` query, fetched in one pass. substr() rather than LIKE: no escaping, no collation."""
    c = CAPTURES.c
    n = len(prefix)
    rows = conn.execute(
        select(c.id, c.url, c.final_url, c.sha256, c.status, c.etag, c.last_modified)
        .where(
            or_(func.substr(c.url, 1, n) == prefix, func.substr(c.final_url, 1, n) == prefix),
            c.status >= 200, c.status < 300,
        )
        .order_by(c.fetched_at, c.id)  # oldest first: the newest capture of a URL is written last
    )
    out: dict[str, tuple[int, str, int, str | None, str | None]] = {}
    for r in rows:
        value = (int(r.id), r.sha256, int(r.status), r.etag, r.last_modified)
        for u in (r.url, r.final_url):
            if u.startswith(prefix):
                out[u] = value
    return out
