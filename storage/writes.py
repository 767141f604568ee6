"""SQL that writes the archive, one function per step, all on a caller-owned connection.

The caller (storage.archive) owns the transaction, so a whole page (captures, blobs, agency,
report, version, cells, checks, sections) commits or rolls back as one. Plain Core statements
against the ORM tables: cells are bulk-inserted with executemany, no per-cell ORM objects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Insert, Table, and_, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crawler.parsing.result import Metadata, ParseResult
from storage import blobs as codecs
from storage import models
from storage.records import CaptureRef, FetchedResponse, PortalInfo

BLOBS: Table = models.Blob.__table__  # type: ignore[assignment]
CAPTURES: Table = models.Capture.__table__  # type: ignore[assignment]
RUNS: Table = models.CrawlRun.__table__  # type: ignore[assignment]
AGENCIES: Table = models.Agency.__table__  # type: ignore[assignment]
ALIASES: Table = models.AgencyAlias.__table__  # type: ignore[assignment]
REPORTS: Table = models.Report.__table__  # type: ignore[assignment]
VERSIONS: Table = models.ReportVersion.__table__  # type: ignore[assignment]
VERSION_CAPTURES: Table = models.ReportVersionCapture.__table__  # type: ignore[assignment]
CELLS: Table = models.CellRow.__table__  # type: ignore[assignment]
CHECKS: Table = models.CheckRow.__table__  # type: ignore[assignment]
SECTIONS: Table = models.SectionRow.__table__  # type: ignore[assignment]

UNKNOWN_AGENCY_SUFFIX = "(未识别单位)"
REPORT_LEVEL = "*"  # checks.instance of the report-level verdict row


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC (naive values are taken to be UTC already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def insert_ignoring_conflict(conn: Connection, table: Table, index_elements: Sequence[str]) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING on both dialects (safe when two writers race on the same key)."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=list(index_elements))


# --- blobs and captures --------------------------------------------------------------------------


def put_blob(conn: Connection, data: bytes) -> tuple[str, bool]:
    """Store ``data`` once under its sha256. Returns (sha256, newly stored)."""
    sha = codecs.sha256_hex(data)
    if conn.execute(select(BLOBS.c.sha256).where(BLOBS.c.sha256 == sha)).first() is not None:
        return sha, False
    codec, stored = codecs.compress(data)
    stmt = insert_ignoring_conflict(conn, BLOBS, ["sha256"]).values(
        sha256=sha, codec=codec, size=len(data), stored_size=len(stored), data=stored
    )
    # RETURNING yields no row when a concurrent writer stored the same blob first.
    return sha, conn.execute(stmt.returning(BLOBS.c.sha256)).first() is not None


def first_header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return value
    return None


def put_capture(conn: Connection, response: FetchedResponse, run_id: int | None, portal: str | None) -> CaptureRef:
    sha, new_blob = put_blob(conn, response.body)
    headers = [[str(k), str(v)] for k, v in response.response_headers]
    row = {
        "run_id": run_id,
        "portal": response.portal or portal,
        "url": response.url,
        "final_url": response.final_url or response.url,
        "redirect_chain": list(response.redirect_chain),
        "method": response.method,
        "status": response.status,
        "request_headers": [[str(k), str(v)] for k, v in response.request_headers],
        "response_headers": headers,
        "fetched_at": as_utc(response.fetched_at),
        "declared_encoding": response.declared_encoding,
        "detected_encoding": response.detected_encoding,
        "encoding_rule": response.encoding_rule,
        "content_type": first_header(response.response_headers, "Content-Type"),
        "etag": first_header(response.response_headers, "ETag"),
        "last_modified": first_header(response.response_headers, "Last-Modified"),
        "sha256": sha,
        "payload_size": len(response.body),
    }
    capture_id = conn.execute(insert(CAPTURES).values(**row)).inserted_primary_key[0]  # type: ignore[index]
    return CaptureRef(id=int(capture_id), sha256=sha, new_blob=new_blob)


# --- agencies and reports ------------------------------------------------------------------------


def _region_clause(region_code: str | None) -> Any:
    return AGENCIES.c.region_code.is_(None) if region_code is None else AGENCIES.c.region_code == region_code


def agency_name_for(md: Metadata, portal: PortalInfo | None) -> str:
    """Never drop a report: an unidentified agency is filed under its portal."""
    if md.agency and md.agency.strip():
        return md.agency.strip()
    base = portal.name if portal is not None else ""
    return f"{base}{UNKNOWN_AGENCY_SUFFIX}"


def resolve_agency(conn: Connection, md: Metadata, portal: PortalInfo | None) -> int:
    """The agency id for (name, portal region); matched by name, then alias; created if new."""
    name = agency_name_for(md, portal)
    region = portal.region_code if portal is not None else None
    kind = md.agency_kind or "other"
    found = conn.execute(
        select(AGENCIES.c.id, AGENCIES.c.kind).where(AGENCIES.c.name == name, _region_clause(region))
    ).first()
    if found is None:
        found = conn.execute(
            select(AGENCIES.c.id, AGENCIES.c.kind)
            .join(ALIASES, ALIASES.c.agency_id == AGENCIES.c.id)
            .where(ALIASES.c.alias == name, _region_clause(region))
            .order_by(AGENCIES.c.id)
            .limit(1)
        ).first()
    if found is not None:
        if found.kind == "other" and kind != "other":
            conn.execute(update(AGENCIES).where(AGENCIES.c.id == found.id).values(kind=kind))
        return int(found.id)
    values = {
        "name": name,
        "kind": kind,
        "province": portal.province if portal else None,
        "city": portal.city if portal else None,
        "county": portal.county if portal else None,
        "region_code": region,
    }
    conn.execute(insert_ignoring_conflict(conn, AGENCIES, ["name", "region_code"]).values(**values))
    return int(
        conn.execute(
            select(AGENCIES.c.id).where(AGENCIES.c.name == name, _region_clause(region)).order_by(AGENCIES.c.id)
        ).scalars().first()  # type: ignore[arg-type]
    )


def resolve_report(conn: Connection, agency_id: int, year: int | None, url: str) -> int:
    """The report id for (agency, year). A report of unknown year is told apart by its URL, so two
    undated reports of one agency do not overwrite each other as "versions"."""
    if year is None:
        found = conn.execute(
            select(REPORTS.c.id)
            .join(VERSIONS, and_(VERSIONS.c.report_id == REPORTS.c.id, VERSIONS.c.is_current))
            .where(REPORTS.c.agency_id == agency_id, REPORTS.c.year.is_(None), VERSIONS.c.url == url)
            .limit(1)
        ).scalar()
        if found is not None:
            return int(found)
        return int(conn.execute(insert(REPORTS).values(agency_id=agency_id, year=None)).inserted_primary_key[0])  # type: ignore[index]
    conn.execute(insert_ignoring_conflict(conn, REPORTS, ["agency_id", "year"]).values(agency_id=agency_id, year=year))
    return int(
        conn.execute(select(REPORTS.c.id).where(REPORTS.c.agency_id == agency_id, REPORTS.c.year == year)).scalar_one()
    )


# --- versions --------------------------------------------------------------------------------------


def _num(value: int | float | None) -> float | None:
    return None if value is None else float(value)


def content_hash(parsed: ParseResult) -> str:
    """Hash of what a researcher sees (metadata + cells + template + source) for change detection.
    The parser version, encodings and links are deliberately left out: re-fetching or re-parsing
    an unchanged report must not create a new version."""
    md = parsed.metadata
    doc = {
        "metadata": {
            "title": md.title,
            "index_no": md.index_no,
            "issuer": md.issuer,
            "doc_no": md.doc_no,
            "written": md.written.isoformat() if md.written else None,
            "published": md.published.isoformat() if md.published else None,
            "category": md.category,
            "agency": md.agency,
            "agency_kind": md.agency_kind,
            "year": md.year,
        },
        "template": parsed.template,
        "source": parsed.source,
        "cells": {k: [_num(c.value), c.raw] for k, c in sorted(parsed.cells.items())},
    }
    blob = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def current_version(conn: Connection, report_id: int) -> Any:
    return conn.execute(
        select(VERSIONS.c.id, VERSIONS.c.content_hash).where(
            VERSIONS.c.report_id == report_id, VERSIONS.c.is_current
        )
    ).first()


def supersede(conn: Connection, version_id: int, when: dt.datetime) -> None:
    conn.execute(update(VERSIONS).where(VERSIONS.c.id == version_id).values(is_current=False, superseded_at=when))


def insert_version(
    conn: Connection,
    *,
    report_id: int,
    run_id: int | None,
    url: str,
    parsed: ParseResult,
    chash: str,
    when: dt.datetime,
) -> int:
    last = conn.execute(select(func.max(VERSIONS.c.version_no)).where(VERSIONS.c.report_id == report_id)).scalar()
    md = parsed.metadata
    row = {
        "report_id": report_id,
        "version_no": (last or 0) + 1,
        "is_current": True,
        "created_at": when,
        "run_id": run_id,
        "url": url,
        "title": md.title,
        "index_no": md.index_no,
        "issuer": md.issuer,
        "doc_no": md.doc_no,
        "written_date": md.written,
        "published_date": md.published,
        "category": md.category,
        "template": parsed.template,
        "source": parsed.source,
        "parser_version": parsed.parser_version or "",
        "parse_status": parsed.status,
        "parse_message": parsed.message or None,
        "content_hash": chash,
    }
    return int(conn.execute(insert(VERSIONS).values(**row)).inserted_primary_key[0])  # type: ignore[index]


def link_captures(conn: Connection, version_id: int, links: Sequence[tuple[int, str, bool]]) -> None:
    """links: (capture_id, role, parsed_from)."""
    if not links:
        return
    rows = [{"version_id": version_id, "capture_id": cid, "role": role, "parsed_from": pf} for cid, role, pf in links]
    conn.execute(insert_ignoring_conflict(conn, VERSION_CAPTURES, ["version_id", "capture_id"]), rows)


def insert_content(conn: Connection, version_id: int, parsed: ParseResult) -> None:
    """Cells, checks (per instance + one report-level '*' row per check) and sections, bulk."""
    if parsed.cells:
        conn.execute(
            insert(CELLS),
            [
                {"version_id": version_id, "key": k, "value": _num(c.value), "raw": c.raw}
                for k, c in parsed.cells.items()
            ],
        )
    check_rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for c in parsed.checks:
        instance = c.instance if c.instance != REPORT_LEVEL else "report"
        base, n = instance, 1
        while (c.check, instance) in seen:  # never lose a parse over a duplicated instance name
            n += 1
            instance = f"{base}#{n}"
        seen.add((c.check, instance))
        check_rows.append(
            {"version_id": version_id, "check": c.check, "instance": instance, "verdict": c.verdict, "detail": c.detail}
        )
    for name, verdict in parsed.verdicts.items():
        check_rows.append(
            {"version_id": version_id, "check": name, "instance": REPORT_LEVEL, "verdict": verdict, "detail": None}
        )
    if check_rows:
        conn.execute(insert(CHECKS), check_rows)
    if parsed.sections:
        conn.execute(
            insert(SECTIONS), [{"version_id": version_id, "key": k, "text": t} for k, t in parsed.sections.items()]
        )
