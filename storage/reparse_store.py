"""The archive queries and writes of `nianbao reparse`, mixed into :class:`storage.archive.Archive`.

Why separate from storage/writes.py: a re-parse never stores a capture (the inputs are already
archived); it reads the current version's captures and content back, and writes new versions for
the SAME captures. The versioning steps themselves (supersede, insert_version, link_captures,
insert_content, content_hash, resolve_agency/report) are storage.writes' own, reused as they are.

Crash safety: :meth:`ReparseStoreMixin.apply_reparse_batch` writes a batch of WHOLE reports and the
parse run's progress in ONE transaction, so a reparse killed at any moment leaves every report fully
old or fully new, and the parse_runs row says where to continue. Several writers (PostgreSQL
workers) may commit batches in any order: each adds its counts and its id range to the row, under a
row lock taken by the transaction's last statement only.

Speed: a batch costs a fixed number of statements, not a number per report (current versions in
one SELECT, executemany updates, one multi-row INSERT ... RETURNING of the new versions, one bulk
insert per content table: SQLite executemany, PostgreSQL binary COPY). The workers hand over each
new version as :class:`NewContent`, plain columns already cleaned, so the writer only prefixes the
new version ids.

Memory: candidates are read by keyset pages (``reports.id > after``), inputs per small batch of
report ids, so nothing grows with the archive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from crawler.parsing.result import ParseResult
from storage import blobs as codecs
from storage import content_docs
from storage import writes as w
from storage.models import Base
from storage.records import PortalInfo


class ParseRun(Base):
    """One `nianbao reparse` invocation (resumed runs keep their row): what was asked, how far it
    got (``last_report_id``: every selected report with a smaller or equal id is done; batches
    committed beyond it, out of order, are the id ranges (after, mark] of ``counts["_done"]``), the
    diff (``counts``: the sum of every committed batch's)."""

    __tablename__ = "parse_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    parser_version: Mapped[str] = mapped_column(String(64))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    workers: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(
        String(32)
    )  # running|finished|finished_with_errors|failed|interrupted
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dry_run: Mapped[bool] = mapped_column(Boolean)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id")
    )  # the versions' run (kind "reparse")
    last_report_id: Mapped[int | None] = mapped_column(Integer)
    owner: Mapped[str | None] = mapped_column(String(255))  # host:pid of the process running it
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


PARSE_RUNS: Table = ParseRun.__table__  # type: ignore[assignment]
V, R, A = w.VERSIONS, w.REPORTS, w.AGENCIES


# --- records crossing the API boundary ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """A report whose current version matches the filters (parser version decided by the caller)."""

    report_id: int
    version_id: int
    parser_version: str
    parse_status: str


@dataclass(slots=True)
class StoredCapture:
    capture_id: int
    role: str  # page | attachment
    url: str
    final_url: str
    status: int
    headers: list[tuple[str, str]]  # verbatim, in order
    body: bytes
    portal: str | None


@dataclass(slots=True)
class StoredReport:
    """Everything a re-parse needs about one report's current version: inputs and old content."""

    report_id: int
    version_id: int
    version_no: int
    agency: str
    year: int | None
    url: str | None
    portal: PortalInfo  # rebuilt from the agency's region and the page capture's portal name
    parser_version: str
    parse_status: str
    parse_message: str
    content_hash: str
    page: StoredCapture | None
    attachments: list[StoredCapture]  # newest capture per URL, in capture order
    cells: dict[str, list[Any]] | None  # {key: [value, raw]}; None: not read (reparse_old_cells reads them)
    checks: list[tuple[str, str, str]]  # (check, instance, verdict), instance rows only
    verdicts: dict[str, str]  # report-level verdict per check
    sections: dict[str, str]


class NewContent(NamedTuple):
    """A new version's content as compact plain values, cleaned and ready to insert: what a re-parse
    worker sends to the writer instead of the ParseResult (a ParseResult of ~200 Cell dataclasses
    costs milliseconds to pickle across processes; these tuples cost tens of microseconds)."""

    chash: str  # the archive's content hash (storage.writes.content_hash)
    version: tuple[Any, ...]  # the report_versions values of storage.writes.VERSION_FIELDS
    # Content as storage.writes.bare_content_columns gives it: the writer adds the version ids and
    # inserts a whole batch per table without a Python loop over the rows.
    cells: tuple[int, str]  # number of cells, the version_cells JSON document
    checks: tuple[int, str, str]  # number of instances, the version_checks verdicts and instances documents
    sections: tuple[Any, ...]  # keys, texts


def new_content(
    parsed: ParseResult,
    url: str,
    cells: list[tuple[str, float | None, str]] | None = None,
    chash: str | None = None,
) -> NewContent:
    """The compact content of a new version of ``parsed`` found at ``url`` (the same values
    storage.writes.version_values/content_rows give the crawl's record_report). ``cells``/``chash``:
    storage.writes.cell_tuples/content_hash of ``parsed`` when the caller has them already."""
    if cells is None:
        cells = w.cell_tuples(parsed)
    if chash is None:
        chash = w.content_hash(parsed, cells)
    version = w.version_values(parsed, url, chash)
    return NewContent(chash, version, *w.bare_content_columns(parsed, cells))


@dataclass(slots=True)
class ReparseWrite:
    """What to write for one report. ``content`` (or, from callers that have only the result,
    ``parsed``) None: the content is unchanged, only record that the current parser confirmed it
    (parser_version of the current version). ``parsed`` is needed (besides ``content``) only when
    the report may move to another agency/year (``same_identity`` False): the lookup reads its
    metadata."""

    report_id: int
    expected_version_id: int  # skipped ("conflict") if a crawl made another version current meanwhile
    parsed: ParseResult | None
    links: list[tuple[int, str, bool]] = field(default_factory=list)  # (capture_id, role, parsed_from)
    url: str = ""
    portal: PortalInfo | None = None
    parser_version: str = ""  # the confirming parser, when there is no new content
    same_identity: bool = False  # the new parse names the report's own agency and year: no lookup needed
    content: NewContent | None = None  # the new version, compact (from new_content)

    @property
    def changes(self) -> bool:
        """A new version is to be written (else the stored one is confirmed)."""
        return self.content is not None or self.parsed is not None

    def new(self) -> NewContent:
        if self.content is None:
            assert self.parsed is not None
            self.content = new_content(self.parsed, self.url)
        return self.content


def content_hash(parsed: ParseResult) -> str:
    """The archive's own change-detection hash (storage.writes.content_hash)."""
    return w.content_hash(parsed)


def stored_check_rows(parsed: ParseResult) -> list[tuple[str, str, str]]:
    """(check, instance, verdict) exactly as storage.writes.insert_content stores the instance rows
    (cleaned text)."""
    rows = w.clean_rows(w.check_rows(parsed), (0, 1, 3))  # type: ignore[arg-type]
    return [(c, i, v) for c, i, v, _ in rows if i != w.REPORT_LEVEL]


def stored_sections(parsed: ParseResult) -> list[tuple[str, str]]:
    """(key, text) of the sections as storage.writes.insert_content stores them (cleaned text)."""
    return w.clean_rows(list(parsed.sections.items()), (0, 1))  # type: ignore[return-value]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(q: Any, filters: dict[str, Any]) -> Any:
    years = [int(y) for y in filters.get("year") or ()]
    if years:
        q = q.where(R.c.year.in_(years))
    agencies = [str(a).strip() for a in filters.get("agency") or () if str(a).strip()]
    if agencies:
        q = q.where(or_(*(A.c.name.like("%" + _like_escape(a) + "%", escape="\\") for a in agencies)))
    if filters.get("only_failed"):
        q = q.where(V.c.parse_status != "ok")
    return q


def _base_candidates(*cols: Any) -> Any:
    return (
        select(*cols)
        .select_from(V)
        .join(R, R.c.id == V.c.report_id)
        .join(A, A.c.id == R.c.agency_id)
        .where(V.c.is_current)
    )


_CONFIRM = update(V).where(V.c.id == bindparam("c_id")).values(parser_version=bindparam("c_version"))
_MAX_VERSION_NO = select(func.max(V.c.version_no)).where(V.c.report_id == bindparam("m_report"))


def _raw_rows(
    conn: Any, table: str, columns: Sequence[str], version_ids: Sequence[int]
) -> list[tuple[Any, ...]]:
    """``SELECT columns FROM table WHERE version_id IN (...)`` as plain driver tuples."""
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} "
        f"WHERE {quote('version_id')} IN ({', '.join(mark for _ in version_ids)})"
    )
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql, tuple(version_ids))
        return cursor.fetchall()
    finally:
        cursor.close()


def _read_cells(conn: Any, vids: Sequence[int]) -> dict[int, dict[str, list[Any]]]:
    documents = content_docs.read(conn, vids)
    return {int(v): content_docs.decode(documents.get(int(v))) for v in vids}


class ReparseStoreMixin:
    """Methods of Archive used by nianbao.reparse (``self._read``/``self._write`` are Archive's)."""

    _agency_cache: dict[tuple[str, str | None], tuple[int, str]]

    # --- selection --------------------------------------------------------------------------------
    def count_reparse_candidates(self, filters: dict[str, Any]) -> int:
        q = _filtered(_base_candidates(func.count()), filters)
        with self._read() as conn:  # type: ignore[attr-defined]
            return int(conn.execute(q).scalar_one())

    def reparse_candidates(self, filters: dict[str, Any], after_id: int, limit: int) -> list[Candidate]:
        """The next ``limit`` reports (by id, after ``after_id``) whose current version matches."""
        q = _filtered(
            _base_candidates(R.c.id, V.c.id, V.c.parser_version, V.c.parse_status).where(R.c.id > after_id),
            filters,
        )
        with self._read() as conn:  # type: ignore[attr-defined]
            rows = conn.execute(q.order_by(R.c.id).limit(limit)).all()
        return [Candidate(int(r[0]), int(r[1]), r[2] or "", r[3]) for r in rows]

    # --- inputs -----------------------------------------------------------------------------------
    def reparse_inputs(self, report_ids: Sequence[int], *, cells: bool = True) -> list[StoredReport]:
        """Current version, its captures (payloads decompressed) and content, for each report; six
        queries per batch whatever its size. Reports without a current version are left out.
        ``cells`` False: the old cells are left out (``StoredReport.cells`` None), since a re-parse
        needs them only for the reports whose content hash changed (:meth:`reparse_old_cells`)."""
        if not report_ids:
            return []
        with self._read() as conn:  # type: ignore[attr-defined]
            heads = conn.execute(
                select(
                    V.c.id,
                    V.c.version_no,
                    V.c.report_id,
                    V.c.parser_version,
                    V.c.parse_status,
                    V.c.parse_message,
                    V.c.content_hash,
                    V.c.url,
                    R.c.year,
                    A.c.name,
                    A.c.region_code,
                    A.c.province,
                    A.c.city,
                    A.c.county,
                )
                .select_from(V)
                .join(R, R.c.id == V.c.report_id)
                .join(A, A.c.id == R.c.agency_id)
                .where(V.c.report_id.in_(list(report_ids)), V.c.is_current)
            ).all()
            vids = [int(h.id) for h in heads]
            if not vids:
                return []
            C, VC = w.CAPTURES, w.VERSION_CAPTURES
            caps = conn.execute(
                select(
                    VC.c.version_id,
                    VC.c.role,
                    C.c.id,
                    C.c.url,
                    C.c.final_url,
                    C.c.status,
                    C.c.response_headers,
                    C.c.sha256,
                    C.c.portal,
                )
                .join(C, C.c.id == VC.c.capture_id)
                .where(VC.c.version_id.in_(vids))
                .order_by(C.c.fetched_at, C.c.id)
            ).all()
            shas = sorted({c.sha256 for c in caps})
            payloads = (
                {
                    sha: codecs.decompress(codec, data)
                    for sha, codec, data in conn.execute(
                        select(w.BLOBS.c.sha256, w.BLOBS.c.codec, w.BLOBS.c.data).where(
                            w.BLOBS.c.sha256.in_(shas)
                        )
                    ).all()
                }
                if shas
                else {}
            )
            old_cells = _read_cells(conn, vids) if cells else {}
            checks: dict[int, list[tuple[str, str, str]]] = {}
            verdicts: dict[int, dict[str, str]] = {}
            check_docs = content_docs.read_checks(conn, vids)
            for vid in vids:
                verdicts[vid], instances = content_docs.decode_checks(*check_docs.get(vid, ("", "")))
                checks[vid] = [(c, i, v) for c, i, v, _d in instances]
            # The section rows straight from the driver: SQLAlchemy Row objects cost more than
            # SQLite itself here, and this runs for every re-parsed report.
            sections: dict[int, dict[str, str]] = {v: {} for v in vids}
            for vid, key, text in _raw_rows(conn, "sections", ("version_id", "key", "text"), vids):
                sections[vid][key] = text

        pages: dict[int, StoredCapture] = {}
        atts: dict[int, dict[str, StoredCapture]] = {v: {} for v in vids}
        for c in caps:  # oldest first: the newest capture per (version, URL) wins
            body = payloads.get(c.sha256)
            if body is None:
                continue  # a missing blob is reported as "no stored page" / a missing file
            sc = StoredCapture(
                capture_id=int(c.id),
                role=c.role,
                url=c.url,
                final_url=c.final_url or c.url,
                status=int(c.status),
                headers=[(str(k), str(v)) for k, v in (c.response_headers or [])],
                body=body,
                portal=c.portal,
            )
            if c.role == "page":
                pages[c.version_id] = sc
            else:
                atts[c.version_id].pop(sc.final_url, None)
                atts[c.version_id][sc.final_url] = sc
        out: list[StoredReport] = []
        for h in heads:
            vid = int(h.id)
            page = pages.get(vid)
            portal_name = page.portal if page is not None and page.portal else ""
            out.append(
                StoredReport(
                    report_id=int(h.report_id),
                    version_id=vid,
                    version_no=int(h.version_no),
                    agency=h.name,
                    year=h.year,
                    url=h.url,
                    portal=PortalInfo(
                        name=portal_name,
                        region_code=h.region_code,
                        province=h.province,
                        city=h.city,
                        county=h.county,
                    ),
                    parser_version=h.parser_version or "",
                    parse_status=h.parse_status,
                    parse_message=h.parse_message or "",
                    content_hash=h.content_hash,
                    page=page,
                    attachments=sorted(atts[vid].values(), key=lambda s: s.capture_id),
                    cells=old_cells.get(vid) if cells else None,
                    checks=sorted(checks[vid]),
                    verdicts=verdicts[vid],
                    sections=sections[vid],
                )
            )
        out.sort(key=lambda s: s.report_id)
        return out

    def reparse_old_cells(self, version_ids: Sequence[int]) -> dict[int, str]:
        """{version id: stored cells document} of these versions (one query; storage.content_docs
        decodes them; versions without cells are absent)."""
        if not version_ids:
            return {}
        with self._read() as conn:  # type: ignore[attr-defined]
            return content_docs.read(conn, version_ids)

    # --- parse runs -------------------------------------------------------------------------------
    def start_parse_run(
        self,
        *,
        parser_version: str,
        filters: dict[str, Any],
        workers: int,
        dry_run: bool,
        owner: str,
        run_id: int | None,
    ) -> int:
        now = w.utcnow()
        with self._write() as conn:  # type: ignore[attr-defined]
            result = conn.execute(
                insert(PARSE_RUNS).values(
                    started_at=now,
                    finished_at=None,
                    parser_version=parser_version,
                    filters=filters,
                    workers=workers,
                    outcome="running",
                    counts={},
                    dry_run=dry_run,
                    run_id=run_id,
                    last_report_id=None,
                    owner=owner,
                    heartbeat_at=now,
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def unfinished_parse_runs(self, parser_version: str) -> list[dict[str, Any]]:
        """Writing runs of this parser version that did not finish (killed or interrupted), newest first."""
        with self._read() as conn:  # type: ignore[attr-defined]
            rows = conn.execute(
                select(PARSE_RUNS)
                .where(
                    PARSE_RUNS.c.outcome.in_(("running", "interrupted")),
                    PARSE_RUNS.c.parser_version == parser_version,
                    PARSE_RUNS.c.dry_run.is_(False),
                )
                .order_by(PARSE_RUNS.c.id.desc())
            ).mappings()
            return [dict(r) for r in rows]

    def claim_parse_run(self, parse_run_id: int, *, old_owner: str | None, owner: str, workers: int) -> bool:
        """Take over a dead run's row (compare-and-set on its owner, so two restarts cannot both)."""
        with self._write() as conn:  # type: ignore[attr-defined]
            owner_is = PARSE_RUNS.c.owner.is_(None) if old_owner is None else PARSE_RUNS.c.owner == old_owner
            result = conn.execute(
                update(PARSE_RUNS)
                .where(
                    PARSE_RUNS.c.id == parse_run_id,
                    PARSE_RUNS.c.outcome.in_(("running", "interrupted")),
                    owner_is,
                )
                .values(outcome="running", owner=owner, workers=workers, heartbeat_at=w.utcnow())
            )
            return result.rowcount == 1

    def finish_parse_run(self, parse_run_id: int, outcome: str, counts: dict[str, Any] | None) -> None:
        """Set the outcome (and the final counts; None keeps those committed with the last batch)."""
        values: dict[str, Any] = {"outcome": outcome, "finished_at": w.utcnow(), "heartbeat_at": w.utcnow()}
        if counts is not None:
            values["counts"] = counts
        with self._write() as conn:  # type: ignore[attr-defined]
            conn.execute(update(PARSE_RUNS).where(PARSE_RUNS.c.id == parse_run_id).values(**values))

    def parse_run_info(self, parse_run_id: int) -> dict[str, Any] | None:
        with self._read() as conn:  # type: ignore[attr-defined]
            row = conn.execute(select(PARSE_RUNS).where(PARSE_RUNS.c.id == parse_run_id)).mappings().first()
            return dict(row) if row is not None else None

    def parse_runs(self) -> list[dict[str, Any]]:
        with self._read() as conn:  # type: ignore[attr-defined]
            return [dict(r) for r in conn.execute(select(PARSE_RUNS).order_by(PARSE_RUNS.c.id)).mappings()]

    # --- writes -----------------------------------------------------------------------------------
    def apply_reparse_batch(
        self,
        parse_run_id: int,
        writes: Sequence[ReparseWrite],
        *,
        run_id: int | None,
        last_report_id: int | None,
        counts: dict[str, Any] | None = None,
        span: tuple[int, int] | None = None,
        tally: Callable[[list[str]], dict[str, Any]] | None = None,
        run_settings: dict[str, Any] | None = None,
    ) -> BatchResult:
        """Write a batch of whole reports plus the run's progress in ONE transaction.

        Per report: "changed" (new current version, the old one kept as history), "moved" (the new
        parse names another agency/year: the new version belongs to that report, this one keeps
        only history), "confirmed" (same content: the current version's parser_version is set to
        the parser that confirmed it, so the next run skips it cheaply) or "conflict" (its current
        version is no longer the one that was re-parsed: a crawl wrote meanwhile; left alone).

        Progress, two ways. ``counts`` (one writer, batches in id order): the row's counts and
        ``last_report_id`` are replaced. ``span`` = (after, mark) with ``tally`` (several writers,
        batches committed in any order): ``tally(outcomes)`` is this batch's counts, ADDED to the
        row's (locked FOR UPDATE, only for the last statement, so writers barely wait on each other);
        the batch's id range (after, mark] joins the committed ranges: ``last_report_id`` moves up
        over every range contiguous with it, the others wait in ``counts["_done"]`` so a resume skips
        them. ``run_id`` None with ``run_settings``: the crawl_runs row the new versions point at is
        created by the first batch that writes one (and recorded on the parse run, under its lock).
        """
        outcomes = BatchResult()
        with self._write() as conn:  # type: ignore[attr-defined]
            if conn.dialect.name == "postgresql":
                # Do not wait for the WAL flush at commit: the batch is still atomic and, once
                # committed, seen by everyone; only a crash of the SERVER within a fraction of a
                # second could lose it - and then its progress in parse_runs with it, so a resume
                # simply re-parses it. Saves a disk flush per batch.
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            when = w.utcnow()
            if run_id is None and run_settings is not None and any(x.changes for x in writes):
                run_id = _ensure_run(conn, parse_run_id, run_settings, when)
            outcomes.run_id = run_id
            outcomes.extend(self._apply_all(conn, writes, run_id, when))
            if span is None:
                values: dict[str, Any] = {
                    "last_report_id": last_report_id,
                    "heartbeat_at": when,
                    "run_id": run_id,
                }
                if counts is not None:
                    values["counts"] = counts
                conn.execute(update(PARSE_RUNS).where(PARSE_RUNS.c.id == parse_run_id).values(**values))
            else:
                delta = tally(list(outcomes)) if tally is not None else {}
                row = conn.execute(
                    select(PARSE_RUNS.c.counts, PARSE_RUNS.c.last_report_id)
                    .where(PARSE_RUNS.c.id == parse_run_id)
                    .with_for_update()
                ).one()
                merged = merge_counts(dict(row.counts or {}), delta)
                last, done = advance(int(row.last_report_id or 0), merged.get("_done") or [], span)
                merged["_done"] = done
                conn.execute(
                    update(PARSE_RUNS)
                    .where(PARSE_RUNS.c.id == parse_run_id)
                    .values(counts=merged, last_report_id=last, heartbeat_at=when)
                )
        return outcomes

    def _apply_all(
        self, conn: Any, writes: Sequence[ReparseWrite], run_id: int | None, when: dt.datetime
    ) -> list[str]:
        """The reports of one batch, with as few statements as the batch allows: current versions
        read in one query, confirmations and supersessions as executemany, the new versions in one
        multi-row INSERT ... RETURNING, their captures, cells, checks and sections in one bulk insert
        per table. A batch where a report may move to another agency/year (rare) goes report by
        report, since one move can change another report's current version."""
        if any(not x.same_identity and x.changes for x in writes):
            out: list[str] = []
            pending: list[tuple[int, ReparseWrite]] = []
            for item in writes:
                result, version_id = self._apply_one(conn, item, run_id, when)
                out.append(result)
                if version_id is not None:
                    pending.append((version_id, item))
            _insert_contents(conn, pending)
            return out
        ids = [x.report_id for x in writes]
        current = (
            {
                int(r[0]): (int(r[1]), int(r[2]))
                for r in conn.execute(
                    select(V.c.report_id, V.c.id, V.c.version_no).where(
                        V.c.report_id.in_(ids), V.c.is_current
                    )
                ).all()
            }
            if ids
            else {}
        )
        out = []
        confirms: list[dict[str, Any]] = []
        supersedes: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        changed: list[ReparseWrite] = []
        for item in writes:
            cur = current.get(item.report_id)
            if cur is None or cur[0] != item.expected_version_id:
                out.append("conflict")
            elif not item.changes:
                confirms.append({"c_id": item.expected_version_id, "c_version": item.parser_version})
                out.append("confirmed")
            else:
                supersedes.append({"v_id": cur[0], "v_when": when})
                rows.append(w.version_row(item.new().version, item.report_id, cur[1] + 1, run_id, when))
                changed.append(item)
                out.append("changed")
        if confirms:
            conn.execute(_CONFIRM, confirms)
        if supersedes:
            conn.execute(_SUPERSEDE_MANY, supersedes)
            new_ids = conn.execute(_VERSIONS_RETURNING, rows).scalars().all()
            _insert_contents(conn, list(zip((int(i) for i in new_ids), changed, strict=True)))
        return out

    def _apply_one(
        self, conn: Any, item: ReparseWrite, run_id: int | None, when: dt.datetime
    ) -> tuple[str, int | None]:
        current = w.current_version(conn, item.report_id)
        if current is None or int(current.id) != item.expected_version_id:
            return "conflict", None
        if not item.changes:
            conn.execute(_CONFIRM, {"c_id": item.expected_version_id, "c_version": item.parser_version})
            return "confirmed", None
        target = item.report_id
        parsed = item.parsed  # kept by the worker exactly when the identity may have changed
        md = parsed.metadata if parsed is not None else None
        if (
            not item.same_identity
            and parsed is not None
            and parsed.is_report
            and md
            and (md.agency or "").strip()
        ):
            agency_id = w.resolve_agency(conn, md, item.portal, self._agency_cache)
            target = w.resolve_report(conn, agency_id, md.year, item.url)
        w.supersede(conn, int(current.id), when)
        if target == item.report_id:
            version_no = int(current.version_no) + 1
        else:
            other = w.current_version(conn, target)
            if other is not None:
                w.supersede(conn, int(other.id), when)
            version_no = int(conn.execute(_MAX_VERSION_NO, {"m_report": target}).scalar() or 0) + 1
        row = w.version_row(item.new().version, target, version_no, run_id, when)
        version_id = int(conn.execute(_VERSION_INSERT, row).inserted_primary_key[0])  # type: ignore[index]
        return ("changed" if target == item.report_id else "moved"), version_id


class BatchResult(list):  # type: ignore[type-arg]
    """The per-report outcomes of apply_reparse_batch (a list) and the crawl_runs id the new
    versions point at (``run_id``; None while none was written)."""

    run_id: int | None = None


_SUPERSEDE_MANY = (
    update(V).where(V.c.id == bindparam("v_id")).values(is_current=False, superseded_at=bindparam("v_when"))
)
_VERSIONS_RETURNING = insert(V).returning(V.c.id, sort_by_parameter_order=True)
_VERSION_INSERT = insert(V)


def _insert_contents(conn: Any, items: Sequence[tuple[int, ReparseWrite]]) -> None:
    """Captures links, cells, checks and sections of a batch's new versions: one bulk insert per
    table, rows made by prefixing the workers' compact tuples with the new version ids."""
    if not items:
        return
    links = [(vid, cid, role, bool(pf)) for vid, item in items for cid, role, pf in item.links]
    w.bulk_insert(
        conn,
        w.VERSION_CAPTURES,
        ("version_id", "capture_id", "role", "parsed_from"),
        links,
        conflict=("version_id", "capture_id"),
    )
    contents = [(vid, item.new()) for vid, item in items]
    for table, columns, documents in (
        (w.VERSION_CELLS, w.CONTENT_COLUMNS[0], [(vid, *c.cells) for vid, c in contents if c.cells[0]]),
        (w.VERSION_CHECKS, w.CONTENT_COLUMNS[1], [(vid, *c.checks) for vid, c in contents if w.has_checks(c.checks)]),
    ):
        if documents:
            w.bulk_insert_columns(conn, table, columns, [list(col) for col in zip(*documents, strict=True)])
    for table, columns, part in zip(
        (w.SECTIONS,), w.CONTENT_COLUMNS[2:], range(4, 5), strict=True
    ):
        merged: list[list[Any]] = [[] for _ in columns]
        for vid, content in contents:
            cols = content[part]
            merged[0].extend([vid] * len(cols[0]))
            for into, col in zip(merged[1:], cols, strict=True):
                into.extend(col)
        w.bulk_insert_columns(conn, table, columns, merged)


def _ensure_run(conn: Any, parse_run_id: int, settings: dict[str, Any], when: dt.datetime) -> int:
    """The parse run's crawl_runs row, created by whichever writer needs it first (row lock)."""
    existing = conn.execute(
        select(PARSE_RUNS.c.run_id).where(PARSE_RUNS.c.id == parse_run_id).with_for_update()
    ).scalar()
    if existing is not None:
        return int(existing)
    result = conn.execute(
        insert(w.RUNS).values(
            kind="reparse", started_at=when, settings=settings, stats=None, outcome="running"
        )
    )
    run_id = int(result.inserted_primary_key[0])
    conn.execute(update(PARSE_RUNS).where(PARSE_RUNS.c.id == parse_run_id).values(run_id=run_id))
    return run_id


def merge_counts(total: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """Add one batch's counts to a run's: numbers add up, dicts add per key, lists are joined
    (kept to 10 items: they are samples)."""
    for key, value in delta.items():
        if isinstance(value, bool) or key.startswith("_"):
            continue
        if isinstance(value, (int, float)):
            total[key] = total.get(key, 0) + value
        elif isinstance(value, dict):
            into = dict(total.get(key) or {})
            for k, v in value.items():
                into[k] = into.get(k, 0) + v
            total[key] = into
        elif isinstance(value, list):
            total[key] = (list(total.get(key) or []) + value)[:10]
    return total


def advance(last: int, done: list[list[int]], span: tuple[int, int]) -> tuple[int, list[list[int]]]:
    """Join the committed id range (after, mark] to the others: returns the new ``last_report_id``
    (every selected id up to it is done) and the committed ranges beyond it, sorted."""
    ranges = sorted([*([int(a), int(b)] for a, b in done), [int(span[0]), int(span[1])]])
    rest: list[list[int]] = []
    for a, b in ranges:
        if a <= last:
            last = max(last, b)
        else:
            rest.append([a, b])
    return last, [r for r in rest if r[1] > last]


__all__ = [
    "PARSE_RUNS",
    "BatchResult",
    "Candidate",
    "ParseRun",
    "ReparseStoreMixin",
    "ReparseWrite",
    "StoredCapture",
    "StoredReport",
    "advance",
    "merge_counts",
]
