"""Datasette metadata for the archive: labels, facets, column descriptions and canned queries.

The canned queries are plain read-only SELECTs over the researcher views (report_wide,
cell_values) and the archive tables; none is marked writable, and the database is opened
read-only anyway (nianbao.web.database).
"""

from __future__ import annotations

from typing import Any

from crawler.parsing.schema import KEY_FIGURES
from storage.codebook import check_column, entries

ARCHIVE_DB = "archive"
SEARCH_DB = "search"
CHECK_NAMES = ("t3_flow", "t3_row_total", "t3_result_sum", "t4_subtotals", "cross_year")  # report_wide columns
BLOCK_STATUSES = "403, 412, 418, 429"

APPLICATIONS_SQL = """
select province, city, county, region_code, year,
  count(*) as reports,
  sum(case when agency_kind = 'county_government' then t3__new_received__total end) as county_government_new,
  sum(t3__new_received__total) as all_agencies_new,
  sum(t3__carried_over__total) as all_agencies_carried_over,
  sum(t3__result_total__total) as all_agencies_handled,
  sum(case when t3__new_received__total is null then 1 else 0 end) as reports_without_figure
from report_wide
where year is not null
  and (:year = '' or year = cast(:year as integer))
  and (:place = '' or province like :place || '%' or city like :place || '%' or county like :place || '%'
       or region_code like :place || '%')
group by province, city, county, region_code, year
order by region_code, county, year
"""

FAILING_SQL = """
select w.version_id, w.agency, w.province, w.county, w.year, w.title, k."check", k.instance, k.detail
from report_wide w join checks k on k.version_id = w.version_id
where k.verdict = 'fail' and k.instance != '*'
  and (:check = '' or k."check" = :check)
  and (:year = '' or w.year = cast(:year as integer))
order by w.region_code, w.agency, w.year, k."check", k.instance
"""

MISSING_SQL = """
select a.id as agency_id, a.name as agency, a.kind, a.province, a.city, a.county, a.region_code,
  (select group_concat(y, ' ') from (select r.year as y from reports r
     join report_versions v on v.report_id = r.id and v.is_current
     where r.agency_id = a.id and r.year is not null order by r.year)) as years_with_reports
from agencies a
where not exists (
  select 1 from reports r join report_versions v on v.report_id = r.id and v.is_current
  where r.agency_id = a.id and r.year = cast(:year as integer))
order by a.region_code, a.county, a.name
"""

COVERAGE_SQL = """
with years as (select distinct year from reports where year is not null),
grid as (
  select a.province, a.city, a.county, a.region_code, a.id as agency_id, y.year,
    (select v.parse_status from reports r join report_versions v on v.report_id = r.id and v.is_current
     where r.agency_id = a.id and r.year = y.year) as parse_status
  from agencies a cross join years y
)
select province, city, county, region_code, year,
  count(*) as agencies,
  sum(parse_status = 'ok') as parsed_ok,
  sum(parse_status = 'partial') as parsed_partial,
  sum(parse_status is not null and parse_status not in ('ok', 'partial')) as failed_to_parse,
  sum(parse_status is null) as no_report
from grid
where (:place = '' or province like :place || '%' or city like :place || '%' or county like :place || '%'
       or region_code like :place || '%')
group by province, city, county, region_code, year
order by region_code, county, year
"""

BLOCKED_SQL = f"""
with portals as (select portal, count(*) as responses,
    sum(status in ({BLOCK_STATUSES})) as blocked_responses,
    min(fetched_at) as first_fetch, max(fetched_at) as last_fetch
  from captures where portal is not null group by portal)
select p.portal,
  (select group_concat(distinct a.county) from captures c
     join report_version_captures l on l.capture_id = c.id
     join report_versions v on v.id = l.version_id
     join reports r on r.id = v.report_id join agencies a on a.id = r.agency_id
   where c.portal = p.portal) as counties,
  p.responses, p.blocked_responses,
  (select json_extract(e.value, '$.blocked') from crawl_runs k, json_each(k.stats) e
    where e.key = p.portal order by k.id desc limit 1) as blocked_last_run,
  (select json_extract(e.value, '$.parse_errors') from crawl_runs k, json_each(k.stats) e
    where e.key = p.portal order by k.id desc limit 1) as parse_errors_last_run,
  p.first_fetch, p.last_fetch
from portals p
order by p.blocked_responses desc, p.portal
"""


def _strip(sql: str) -> str:
    return "\n".join(line.rstrip() for line in sql.strip().splitlines())


def _report_wide_columns() -> dict[str, str]:
    """Short descriptions of the view's own columns (Datasette lists them above the table)."""
    docs = {
        "version_id": "report version id: opens the provenance page (captures, raw cell text)",
        "title": "title as published: opens the provenance page",
        "region_code": "6-digit division code of the county",
        "year": "report year (the year the statistics cover)",
        "published": "发布日期",
        "template": "table format: v2019 | v2021 | pre2019 | unknown",
        "source": "what the cells were read from: html, pdf, docx, ...",
        "parse_status": "ok | partial | no_tables | image_only | unparsed",
    }
    for e in entries():
        if e.kind == "cell" and e.name in KEY_FIGURES:
            docs[e.column] = f"{e.label_zh} ({e.unit})"
        elif e.kind == "check" and e.name in CHECK_NAMES:
            docs[e.column] = f"verdict of {e.name}: {e.label_en}"
    return docs


def build_metadata(*, search: bool = True) -> dict[str, Any]:
    wide_docs = _report_wide_columns()
    place_facets = ["province", "county"]
    home = (
        "<p>政府信息公开工作年度报告 archive (read-only). Start with "
        f'<a href="/{ARCHIVE_DB}/report_wide">reports (one row per report)</a>, '
        f'<a href="/{ARCHIVE_DB}/cell_values">cell values (long format)</a>, '
        + (f'<a href="/{SEARCH_DB}/report_search">full-text search</a>, ' if search else "")
        + f'<a href="/{ARCHIVE_DB}/coverage">coverage</a> or the '
        '<a href="/-/codebook">codebook</a>. Every report links to its provenance page and the archived '
        "original bytes.</p>"
    )
    meta: dict[str, Any] = {
        "title": "nianbao · 政府信息公开工作年度报告 archive",
        "description_html": home,
        "about": "nianbao",
        "plugins": {"nianbao": {"archive_database": ARCHIVE_DB, "search_database": SEARCH_DB if search else None}},
        "databases": {
            ARCHIVE_DB: {
                "description": "The archive: every fetched response (captures, content-addressed blobs), agencies, "
                "reports and their parsed versions, cells, checks, sections; views report_wide and cell_values.",
                "tables": {
                    "report_wide": {
                        "description": "One row per report (its current version): metadata, key figures "
                        "(表三/表四 totals) and one verdict per accounting identity. version_id links to provenance.",
                        "label_column": "title",
                        "facets": [*place_facets, "year", "template", "source", "parse_status",
                                   *(check_column(c) for c in CHECK_NAMES)],
                        "columns": wide_docs,
                        "sort": "report_id",
                    },
                    "cell_values": {
                        "description": "Every cell of every current report version (long format: one row per "
                        "report x cell key) with the raw text as printed. Keys: see /-/codebook.",
                        "facets": [*place_facets, "year", "template"],
                        "columns": {
                            "key": "canonical cell key (see /-/codebook)",
                            "value": "number in the key's unit; empty when blank/–/无",
                            "raw": "the cell text as printed in the report",
                        },
                    },
                    "agencies": {
                        "description": "Reporting agencies (county governments, offices, departments, townships).",
                        "label_column": "name",
                        "facets": ["province", "county", "kind"],
                    },
                    "reports": {"description": "One row per (agency, year).", "facets": ["year"]},
                    "report_versions": {
                        "description": "Every parse of every report; is_current marks the one in the views.",
                        "label_column": "title",
                        "facets": ["template", "source", "parse_status", "is_current", "parser_version"],
                    },
                    "captures": {
                        "description": "Every HTTP exchange, verbatim headers; sha256 links to the archived bytes "
                        "(served sandboxed, scripts never run).",
                        "facets": ["status", "content_type", "portal", "method"],
                    },
                    "blobs": {
                        "hidden": True,
                        "allow": False,  # compressed bytes are useless here: /-/capture/<sha256> serves them
                        "description": "Compressed payloads; open them through a capture's sha256 link.",
                    },
                    "checks": {
                        "description": "Accounting-identity results per instance; instance '*' is the report-level "
                        "verdict (a view unpacking version_checks).",
                        "facets": ["check", "verdict"],
                    },
                    "cells": {
                        "description": "Cells of every version (also superseded ones): a view unpacking version_cells."
                    },
                    "version_checks": {
                        "description": "Each version's checks as JSON documents: verdicts {check: verdict}, instances "
                        "[[check, instance, verdict, detail]] (what checks unpacks)."
                    },
                    "version_cells": {
                        "description": "Each version's cells as one JSON document {key: [value, raw]} (what cells unpacks)."
                    },
                    "sections": {"description": "Narrative sections of each version (searchable via search)."},
                    "crawl_runs": {"description": "Crawl runs with per-portal statistics.", "facets": ["kind", "outcome"]},
                    "report_version_captures": {"description": "Which captures each version was parsed from."},
                    "agency_aliases": {"description": "Other names of agencies."},
                    "alembic_version": {"hidden": True},
                },
                "queries": {
                    "applications": {
                        "title": "Applications received by county and year",
                        "description": "表三 一、本年新收 totals per county and year: the county government's own "
                        "report, and the sum over every agency's report (may double count summary reports). "
                        "Leave year/place empty for all.",
                        "sql": _strip(APPLICATIONS_SQL),
                    },
                    "failing_identities": {
                        "title": "Reports failing an accounting identity",
                        "description": "Every failing instance (which column/row, expected vs found). "
                        "check: one of " + ", ".join(CHECK_NAMES) + " (empty: all).",
                        "sql": _strip(FAILING_SQL),
                    },
                    "agencies_without_report": {
                        "title": "Agencies without a report for a year",
                        "description": "Agencies with no current report for the given year (e.g. 2021).",
                        "sql": _strip(MISSING_SQL),
                    },
                    "coverage": {
                        "title": "Coverage per county and year",
                        "description": "Agencies known per county and, per year, how many have a parsed report, a "
                        "report that failed to parse, or none (same numbers as `nianbao coverage`).",
                        "sql": _strip(COVERAGE_SQL),
                    },
                    "blocked_portals": {
                        "title": "Portals that blocked the crawler",
                        "description": "Archived responses per portal with a blocking HTTP status (403/412/418/429) "
                        "and the blocked count of the portal's newest crawl run (includes challenge pages).",
                        "sql": _strip(BLOCKED_SQL),
                    },
                },
            },
        },
    }
    if search:
        meta["databases"][SEARCH_DB] = {
            "description": "Full-text index (FTS5, trigram) over titles and section text of current reports. "
            "Queries need 3+ characters (行政复议 finds 复议 passages; 复议 alone finds nothing).",
            "tables": {
                "report_search": {
                    "description": "Search titles and narrative text; version_id opens the report's provenance.",
                    "label_column": "title",
                    "fts_table": "report_search_fts",
                    "fts_pk": "version_id",
                    "facets": [*place_facets, "year", "template", "source"],
                },
                "search_meta": {"hidden": True},
            },
        }
    return meta
