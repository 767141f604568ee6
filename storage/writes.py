"""SQL that writes the archive, one function per step, all on a caller-owned connection.

The caller (storage.archive) owns the transaction, so a whole page (captures, blobs, agency,
report, version, cells, checks, sections) commits or rolls back as one. Plain Core statements
against the ORM tables: a version's cells are one JSON document (storage.content_docs), checks and
sections are bulk-inserted, no per-row ORM objects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Insert, Table, and_, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crawler.parsing.result import Metadata, ParseResult
from storage import blobs as codecs
from storage import content_docs, models
from storage.records import CaptureRef, FetchedResponse, PortalInfo

BLOBS: Table = models.Blob.__table__  # type: ignore[assignment]
CAPTURES: Table = models.Capture.__table__  # type: ignore[assignment]
RUNS: Table = models.CrawlRun.__table__  # type: ignore[assignment]
AGENCIES: Table = models.Agency.__table__  # type: ignore[assignment]
ALIASES: Table = models.AgencyAlias.__table__  # type: ignore[assignment]
REPORTS: Table = models.Report.__table__  # type: ignore[assignment]
VERSIONS: Table = models.ReportVersion.__table__  # type: ignore[assignment]
VERSION_CAPTURES: Table = models.ReportVersionCapture.__table__  # type: ignore[assignment]
VERSION_CELLS: Table = content_docs.VERSION_CELLS
VERSION_CHECKS: Table = content_docs.VERSION_CHECKS
SECTIONS: Table = models.SectionRow.__table__  # type: ignore[assignment]

log = logging.getLogger(__name__)

UNKNOWN_AGENCY_SUFFIX = "(未识别单位)"
REPORT_LEVEL = "*"  # checks.instance of the report-level verdict row


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(text: str | None) -> str | None:
    """Text both databases accept: PostgreSQL TEXT cannot hold NUL, and neither driver can encode a
    lone surrogate (a decoding accident upstream). Dropping/replacing those characters beats
    losing the report on one dialect only."""
    if text is None:
        return None
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATE.sub("\ufffd", text)
    return text


def clean_rows(rows: list[tuple[Any, ...]], text_columns: Sequence[int]) -> list[tuple[Any, ...]]:
    """``clean`` the text columns of ``rows``; one C-level scan when (as nearly always) nothing needs it."""
    parts: list[str | None] = []
    for i in text_columns:
        parts.extend(map(itemgetter(i), rows))
    blob = "\x1f".join(filter(None, parts))  # type: ignore[arg-type]
    try:
        if "\x00" not in blob:
            blob.encode("utf-8")
            return rows
    except UnicodeEncodeError:
        pass
    return [tuple(clean(v) if isinstance(v, str) else v for v in row) for row in rows]


def _pairs(headers: Sequence[tuple[str, str]]) -> list[list[str | None]]:
    return [[clean(str(k)), clean(str(v))] for k, v in headers]


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


# --- prebuilt statements --------------------------------------------------------------------------
# Built once: SQLAlchemy memoizes the cache key of a statement object, so reusing these saves most
# of the per-call overhead (record_report runs ~10 statements per report).

_BLOB_EXISTS = select(BLOBS.c.sha256).where(BLOBS.c.sha256 == bindparam("b_sha"))
_CAPTURE_INSERT = insert(CAPTURES)
_AGENCY_COLS = (AGENCIES.c.id, AGENCIES.c.kind)
_AGENCY_BY_NAME = select(*_AGENCY_COLS).where(
    AGENCIES.c.name == bindparam("a_name"), AGENCIES.c.region_code == bindparam("a_region")
)
_AGENCY_BY_NAME_NO_REGION = select(*_AGENCY_COLS).where(
    AGENCIES.c.name == bindparam("a_name"), AGENCIES.c.region_code.is_(None)
)
_AGENCY_BY_ALIAS = (
    select(*_AGENCY_COLS)
    .join(ALIASES, ALIASES.c.agency_id == AGENCIES.c.id)
    .where(ALIASES.c.alias == bindparam("a_name"), AGENCIES.c.region_code == bindparam("a_region"))
    .order_by(AGENCIES.c.id)
    .limit(1)
)
_AGENCY_BY_ALIAS_NO_REGION = (
    select(*_AGENCY_COLS)
    .join(ALIASES, ALIASES.c.agency_id == AGENCIES.c.id)
    .where(ALIASES.c.alias == bindparam("a_name"), AGENCIES.c.region_code.is_(None))
    .order_by(AGENCIES.c.id)
    .limit(1)
)
_AGENCY_SET_KIND = update(AGENCIES).where(AGENCIES.c.id == bindparam("a_id")).values(kind=bindparam("a_kind"))
_REPORT_BY_YEAR = select(REPORTS.c.id).where(
    REPORTS.c.agency_id == bindparam("r_agency"), REPORTS.c.year == bindparam("r_year")
)
_REPORT_UNDATED = (
    select(REPORTS.c.id)
    .join(VERSIONS, and_(VERSIONS.c.report_id == REPORTS.c.id, VERSIONS.c.is_current))
    .where(
        REPORTS.c.agency_id == bindparam("r_agency"),
        REPORTS.c.year.is_(None),
        VERSIONS.c.url == bindparam("r_url"),
    )
    .limit(1)
)
_REPORT_INSERT = insert(REPORTS)
_CURRENT_VERSION = select(VERSIONS.c.id, VERSIONS.c.content_hash, VERSIONS.c.version_no).where(
    VERSIONS.c.report_id == bindparam("v_report"), VERSIONS.c.is_current
)
_SUPERSEDE = (
    update(VERSIONS)
    .where(VERSIONS.c.id == bindparam("v_id"))
    .values(is_current=False, superseded_at=bindparam("v_when"))
)
_VERSION_INSERT = insert(VERSIONS)

_per_dialect: dict[tuple[str, str], Any] = {}


def _upsert_stmt(conn: Connection, name: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING, built once per dialect."""
    key = (conn.dialect.name, name)
    stmt = _per_dialect.get(key)
    if stmt is None:
        if name == "blob":
            stmt = insert_ignoring_conflict(conn, BLOBS, ["sha256"]).returning(BLOBS.c.sha256)
        elif name == "agency":
            stmt = insert_ignoring_conflict(conn, AGENCIES, ["name", "region_code"]).returning(AGENCIES.c.id)
        elif name == "report":
            stmt = insert_ignoring_conflict(conn, REPORTS, ["agency_id", "year"]).returning(REPORTS.c.id)
        else:
            raise KeyError(name)
        _per_dialect[key] = stmt
    return stmt


def _bulk_sql(conn: Connection, table: Table, columns: Sequence[str], conflict: Sequence[str]) -> str:
    key = (conn.dialect.name, f"bulk:{table.name}:{','.join(columns)}:{','.join(conflict)}")
    sql = _per_dialect.get(key)
    if sql is None:
        quote = conn.dialect.identifier_preparer.quote
        sql = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        if conn.dialect.paramstyle == "qmark":
            sql += "VALUES (" + ", ".join("?" for _ in columns) + ")"
        else:
            types = [table.c[c].type.compile(dialect=conn.dialect) for c in columns]
            sql += "SELECT * FROM unnest(" + ", ".join(f"%s::{t}[]" for t in types) + ")"
        if conflict:
            sql += f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO NOTHING"
        _per_dialect[key] = sql
    return sql


def bulk_insert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    conflict: Sequence[str] = (),
) -> None:
    """Insert many rows straight through the driver: SQLAlchemy's per-row parameter processing costs
    more than SQLite itself for ~200 cells per report. SQLite gets executemany (in-process, cheap);
    PostgreSQL gets one ``INSERT ... SELECT * FROM unnest(arrays)`` per call: one round trip and a
    constant statement text, instead of one statement per row. Only for plain scalar columns."""
    if not rows:
        return
    sql = _bulk_sql(conn, table, columns, conflict)
    if conn.dialect.paramstyle == "qmark":
        conn.exec_driver_sql(sql, list(rows))
    else:
        conn.exec_driver_sql(sql, tuple(list(col) for col in zip(*rows, strict=True)))


def bulk_insert_columns(
    conn: Connection, table: Table, columns: Sequence[str], values: Sequence[list[Any]]
) -> None:
    """Insert rows given as columns (equal-length lists, one per column) into a table that cannot
    hold them already (the content of new versions), straight through the DB-API cursor of the
    connection's transaction. SQLite: executemany fed by a C-level zip (no list of thousands of
    tuples to build, track and free). PostgreSQL: binary COPY (psycopg formats each row in C; an
    unnest of text arrays costs ~4x more client CPU, in psycopg's per-element quoting)."""
    if not values or not values[0]:
        return
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.paramstyle == "qmark":
            rows = zip(*values, strict=True)  # sqlite3 takes any iterable; the DB-API stub says Sequence
            cursor.executemany(_bulk_sql(conn, table, columns, ()), rows)  # type: ignore[arg-type]
            return
        quote = conn.dialect.identifier_preparer.quote
        sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN (FORMAT BINARY)"
        with cursor.copy(sql) as copy:
            copy.set_types([_copy_type(table.c[c].type) for c in columns])
            for row in zip(*values, strict=True):
                copy.write_row(row)
    finally:
        cursor.close()


def _copy_type(sa_type: Any) -> str:
    """The PostgreSQL type name psycopg's binary COPY needs for a column (plain scalars only)."""
    from sqlalchemy import BigInteger, Boolean, Float, Integer, String

    if isinstance(sa_type, BigInteger):
        return "int8"
    if isinstance(sa_type, Integer):
        return "int4"
    if isinstance(sa_type, Float):
        return "float8"
    if isinstance(sa_type, Boolean):
        return "bool"
    if isinstance(sa_type, String):  # Text too
        return "text"
    raise TypeError(f"no COPY type for {sa_type!r}")


# --- blobs and captures --------------------------------------------------------------------------


def put_blob(conn: Connection, data: bytes, codec: str = "zstd") -> tuple[str, bool]:
    """Store ``data`` once under its sha256. Returns (sha256, newly stored)."""
    sha = codecs.sha256_hex(data)
    if conn.execute(_BLOB_EXISTS, {"b_sha": sha}).first() is not None:
        return sha, False
    codec, stored = codecs.compress(data, codec)
    row = {"sha256": sha, "codec": codec, "size": len(data), "stored_size": len(stored), "data": stored}
    # RETURNING yields no row when a concurrent writer stored the same blob first.
    return sha, conn.execute(_upsert_stmt(conn, "blob"), row).first() is not None


def first_header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return value
    return None


def put_capture(
    conn: Connection, response: FetchedResponse, run_id: int | None, portal: str | None
) -> CaptureRef:
    sha, new_blob = put_blob(conn, response.body)
    row = {
        "run_id": run_id,
        "portal": clean(response.portal or portal),
        "url": clean(response.url),
        "final_url": clean(response.final_url or response.url),
        "redirect_chain": [clean(u) for u in response.redirect_chain],
        "method": clean(response.method),
        "status": response.status,
        "request_headers": _pairs(response.request_headers),
        "response_headers": _pairs(response.response_headers),
        "fetched_at": as_utc(response.fetched_at),
        "declared_encoding": clean(response.declared_encoding),
        "detected_encoding": clean(response.detected_encoding),
        "encoding_rule": clean(response.encoding_rule),
        "content_type": clean(first_header(response.response_headers, "Content-Type")),
        "etag": clean(first_header(response.response_headers, "ETag")),
        "last_modified": clean(first_header(response.response_headers, "Last-Modified")),
        "sha256": sha,
        "payload_size": len(response.body),
    }
    capture_id = conn.execute(_CAPTURE_INSERT, row).inserted_primary_key[0]  # type: ignore[index]
    return CaptureRef(id=int(capture_id), sha256=sha, new_blob=new_blob)


# --- agencies and reports ------------------------------------------------------------------------

AgencyCache = dict[tuple[str, "str | None"], tuple[int, str]]


def region_code_for(portal: PortalInfo | None) -> str | None:
    """The 6-digit division code of a portal. Longer statistical codes (9/12 digits: township,
    village) are cut to their county prefix; anything else is not a code and is dropped with a
    warning rather than losing the report (the place names are still kept)."""
    code = (portal.region_code or "").strip() if portal is not None else ""
    if not code:
        return None
    if code.isascii() and code.isdigit():
        if len(code) == 6:
            return code
        if len(code) in (9, 12):
            return code[:6]
    log.warning(
        "portal %r: region_code %r is not a 6-digit division code; stored without one",
        portal.name if portal is not None else None,
        code,
    )
    return None


def agency_name_for(md: Metadata, portal: PortalInfo | None) -> str:
    """Never drop a report: an unidentified agency is filed under its portal."""
    if md.agency and md.agency.strip():
        return clean(md.agency.strip()) or UNKNOWN_AGENCY_SUFFIX
    base = portal.name if portal is not None else ""
    return clean(f"{base}{UNKNOWN_AGENCY_SUFFIX}") or UNKNOWN_AGENCY_SUFFIX


def resolve_agency(
    conn: Connection, md: Metadata, portal: PortalInfo | None, cache: AgencyCache | None = None
) -> int:
    """The agency id for (name, portal region); matched by name, then alias; created if new.

    ``cache`` remembers agencies found by SELECT (i.e. committed earlier; agencies are never
    deleted), never ones inserted by this transaction, which could still roll back.
    """
    name = agency_name_for(md, portal)
    region = region_code_for(portal)
    kind = md.agency_kind or "other"
    found = cache.get((name, region)) if cache is not None else None
    if found is None:
        params = {"a_name": name, "a_region": region}
        by_name, by_alias = (
            (_AGENCY_BY_NAME, _AGENCY_BY_ALIAS)
            if region is not None
            else (_AGENCY_BY_NAME_NO_REGION, _AGENCY_BY_ALIAS_NO_REGION)
        )
        row = conn.execute(by_name, params).first() or conn.execute(by_alias, params).first()
        if row is not None:
            found = (int(row.id), row.kind)
            if cache is not None:
                cache[(name, region)] = found
    if found is not None:
        if found[1] == "other" and kind != "other":
            conn.execute(_AGENCY_SET_KIND, {"a_id": found[0], "a_kind": kind})
        return found[0]
    values = {
        "name": name,
        "kind": kind,
        "province": clean(portal.province) if portal else None,
        "city": clean(portal.city) if portal else None,
        "county": clean(portal.county) if portal else None,
        "region_code": region,
    }
    new_id = conn.execute(_upsert_stmt(conn, "agency"), values).scalar()
    if new_id is not None:
        return int(new_id)
    # a concurrent writer created it first
    by_name = _AGENCY_BY_NAME if region is not None else _AGENCY_BY_NAME_NO_REGION
    return int(conn.execute(by_name, {"a_name": name, "a_region": region}).first().id)  # type: ignore[union-attr]


def resolve_report(conn: Connection, agency_id: int, year: int | None, url: str) -> int:
    """The report id for (agency, year). A report of unknown year is told apart by its URL, so two
    undated reports of one agency do not overwrite each other as "versions"."""
    if year is None:
        found = conn.execute(_REPORT_UNDATED, {"r_agency": agency_id, "r_url": url}).scalar()
        if found is not None:
            return int(found)
        key = conn.execute(_REPORT_INSERT, {"agency_id": agency_id, "year": None}).inserted_primary_key
        assert key is not None
        return int(key[0])
    found = conn.execute(_REPORT_BY_YEAR, {"r_agency": agency_id, "r_year": year}).scalar()
    if found is not None:
        return int(found)
    new_id = conn.execute(_upsert_stmt(conn, "report"), {"agency_id": agency_id, "year": year}).scalar()
    if new_id is not None:
        return int(new_id)
    return int(conn.execute(_REPORT_BY_YEAR, {"r_agency": agency_id, "r_year": year}).scalar_one())


# --- versions --------------------------------------------------------------------------------------


def _num(value: int | float | None) -> float | None:
    return None if value is None else float(value)


def cell_tuples(parsed: ParseResult) -> list[tuple[str, float | None, str]]:
    """(key, value as float, raw) of every cell, sorted by key: what content_hash hashes, and (once
    cleaned) the cells rows of a version without their version id."""
    return [(k, None if c.value is None else float(c.value), c.raw) for k, c in sorted(parsed.cells.items())]


def content_hash(parsed: ParseResult, cells: list[tuple[str, float | None, str]] | None = None) -> str:
    """Hash of what a researcher sees (metadata + cells + template + source) for change detection.
    The parser version, encodings and links are deliberately left out: re-fetching or re-parsing
    an unchanged report must not create a new version. Values are compared as floats (20 == 20.0).
    Cells go through repr() of plain tuples rather than JSON: ~200 cells per report, hashed per call.
    ``cells``: ``cell_tuples(parsed)`` when the caller has it already (the re-parse reuses it)."""
    md = parsed.metadata
    head = json.dumps(
        [
            md.title,
            md.index_no,
            md.issuer,
            md.doc_no,
            md.written.isoformat() if md.written else None,
            md.published.isoformat() if md.published else None,
            md.category,
            md.agency,
            md.agency_kind,
            md.year,
            parsed.template,
            parsed.source,
        ],
        ensure_ascii=False,
    )
    text = repr(cell_tuples(parsed) if cells is None else cells)
    return hashlib.sha256(f"{head}\x1d{text}".encode("utf-8", "surrogatepass")).hexdigest()


def current_version(conn: Connection, report_id: int) -> Any:
    """(id, content_hash, version_no) of the report's current version, or None."""
    return conn.execute(_CURRENT_VERSION, {"v_report": report_id}).first()


def supersede(conn: Connection, version_id: int, when: dt.datetime) -> None:
    conn.execute(_SUPERSEDE, {"v_id": version_id, "v_when": when})


def insert_version(
    conn: Connection,
    *,
    report_id: int,
    version_no: int,
    run_id: int | None,
    url: str,
    parsed: ParseResult,
    chash: str,
    when: dt.datetime,
) -> int:
    row = version_row(version_values(parsed, url, chash), report_id, version_no, run_id, when)
    return int(conn.execute(_VERSION_INSERT, row).inserted_primary_key[0])  # type: ignore[index]


# The report_versions columns a parse decides (version_row adds report, number, run, times, flags).
VERSION_FIELDS = (
    "url",
    "title",
    "index_no",
    "issuer",
    "doc_no",
    "written_date",
    "published_date",
    "category",
    "template",
    "source",
    "parser_version",
    "parse_status",
    "parse_message",
    "content_hash",
)


def version_values(parsed: ParseResult, url: str, chash: str) -> tuple[Any, ...]:
    """The VERSION_FIELDS values of a version of ``parsed`` found at ``url``, text cleaned: a plain
    tuple (a re-parse worker sends it to the writer)."""
    md = parsed.metadata
    return (
        clean(url),
        clean(md.title),
        clean(md.index_no),
        clean(md.issuer),
        clean(md.doc_no),
        md.written,
        md.published,
        clean(md.category),
        parsed.template,
        parsed.source,
        clean(parsed.parser_version) or "",
        parsed.status,
        clean(parsed.message) or None,
        chash,
    )


def version_row(
    values: tuple[Any, ...], report_id: int, version_no: int, run_id: int | None, when: dt.datetime
) -> dict[str, Any]:
    """The report_versions row of a new current version with ``values`` (of version_values)."""
    row = dict(zip(VERSION_FIELDS, values, strict=True))
    row.update(
        report_id=report_id,
        version_no=version_no,
        is_current=True,
        created_at=when,
        run_id=run_id,
        superseded_at=None,
    )
    return row


def link_captures(conn: Connection, version_id: int, links: Sequence[tuple[int, str, bool]]) -> None:
    """links: (capture_id, role, parsed_from)."""
    bulk_insert(
        conn,
        VERSION_CAPTURES,
        ("version_id", "capture_id", "role", "parsed_from"),
        [(version_id, cid, role, bool(pf)) for cid, role, pf in links],
        conflict=("version_id", "capture_id"),
    )


def check_rows(parsed: ParseResult) -> list[tuple[str, str, str, str | None]]:
    """(check, instance, verdict, detail) of every checks row of a version, uncleaned: one per
    instance (a duplicated instance name gets "#2", "#3": never lose a parse over it; "*" would
    clash with the report level and becomes "report"), then one report-level row per check."""
    rows: list[tuple[str, str, str, str | None]] = []
    seen: set[tuple[str, str]] = set()
    for c in parsed.checks:
        instance = c.instance if c.instance != REPORT_LEVEL else "report"
        if (c.check, instance) in seen:
            base, n = instance, 1
            while (c.check, instance) in seen:
                n += 1
                instance = f"{base}#{n}"
        seen.add((c.check, instance))
        rows.append((c.check, instance, c.verdict, c.detail))
    for name, verdict in parsed.verdicts.items():
        rows.append((name, REPORT_LEVEL, verdict, None))
    return rows


def bare_content_columns(
    parsed: ParseResult, cells: list[tuple[str, float | None, str]] | None = None
) -> tuple[tuple[int, str], tuple[int, str, str], tuple[Any, ...]]:
    """(cells, checks, sections) of one version without the version id, cleaned: cells as (number
    of cells, JSON document), checks as (number of instances, verdicts document, instances
    document), sections as columns (key, text). Compact plain values a re-parse worker hands to the
    writer, who adds the version ids and inserts whole batches. ``cells``: ``cell_tuples(parsed)``
    when the caller has it."""
    sections = clean_rows(list(parsed.sections.items()), (0, 1))
    return cells_document(parsed, cells), checks_document(parsed), _columns(sections, 2)


def cells_document(
    parsed: ParseResult, cells: list[tuple[str, float | None, str]] | None = None
) -> tuple[int, str]:
    """(number of cells, the version_cells JSON document) of ``parsed``, text cleaned."""
    rows = clean_rows(cell_tuples(parsed) if cells is None else cells, (0, 2))  # type: ignore[arg-type]
    return len(rows), content_docs.encode(rows)


def checks_document(parsed: ParseResult) -> tuple[int, str, str]:
    """(number of instances, verdicts document, instances document) of ``parsed``'s checks as
    check_rows names them, text cleaned; instances sorted by (check, instance)."""
    rows = clean_rows(check_rows(parsed), (0, 1, 3))  # type: ignore[arg-type]
    verdicts = [(c, v) for c, i, v, _d in rows if i == REPORT_LEVEL]
    instances = sorted(r for r in rows if r[1] != REPORT_LEVEL)
    return (len(instances), *content_docs.encode_checks(verdicts, instances))


def has_checks(document: tuple[int, str, str]) -> bool:
    """Whether a checks_document holds anything (else the version gets no version_checks row)."""
    return bool(document[0]) or document[1] != "{}"


def _columns(rows: list[tuple[Any, ...]], width: int) -> tuple[Any, ...]:
    return tuple(zip(*rows, strict=True)) if rows else ((),) * width


def content_rows(
    version_id: int, parsed: ParseResult, cells: list[tuple[str, float | None, str]] | None = None
) -> tuple[list[tuple[Any, ...]], ...]:
    """(version_cells, version_checks, sections) rows of one version, cleaned, in the column order
    of CONTENT_COLUMNS (the crawl's path: rows built with their version id directly). A version
    without cells (checks) has no version_cells (version_checks) row."""
    n_cells, document = cells_document(parsed, cells)
    cell_rows = [(version_id, n_cells, document)] if n_cells else []
    checks = checks_document(parsed)
    check_rows_ = [(version_id, *checks)] if has_checks(checks) else []
    sections = clean_rows([(version_id, k, t) for k, t in parsed.sections.items()], (1, 2))
    return cell_rows, check_rows_, sections


CONTENT_COLUMNS = (
    ("version_id", "n_cells", "cells"),
    ("version_id", "n_checks", "verdicts", "instances"),
    ("version_id", "key", "text"),
)


def insert_content(
    conn: Connection, version_id: int, parsed: ParseResult, cells: list[tuple[str, float | None, str]] | None = None
) -> None:
    """The version's cells and checks documents and its sections. ``cells``: ``cell_tuples(parsed)``
    when the caller has it already."""
    for table, columns, rows in zip(
        (VERSION_CELLS, VERSION_CHECKS, SECTIONS), CONTENT_COLUMNS, content_rows(version_id, parsed, cells), strict=True
    ):
        bulk_insert(conn, table, columns, rows)
