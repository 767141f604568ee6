"""The one storage API. The crawl, the re-parser, the exports and the CLI use only this.

CONTRACT (signatures fixed; bodies owned by the storage implementation). Nothing outside storage/
writes SQL or imports storage.models.

Every write method runs in ONE transaction (SQLite: ``BEGIN IMMEDIATE``, so concurrent writers
queue on the busy timeout instead of failing on a lock upgrade). Readers never block writers:
SQLite runs in WAL mode, PostgreSQL is MVCC.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from crawler.parsing.result import ParseResult
from storage.records import CaptureRef, FetchedResponse, PortalInfo, RecordOutcome, Validators
from storage.reparse_store import ReparseStoreMixin  # `nianbao reparse` queries/writes

log = logging.getLogger(__name__)


class ArchiveError(Exception):
    """Any archive problem a user can act on (bad URL, unreadable file, newer schema...). Clear message."""


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


def _jsonable(value: Any) -> Any:
    """Settings/stats as plain JSON: Scrapy settings hold classes, stats may hold datetimes or sets;
    a run must not fail at its very end because one value is not JSON."""
    def default(obj: Any) -> Any:
        if isinstance(obj, (set, frozenset, tuple)):
            return sorted(obj, key=str) if isinstance(obj, (set, frozenset)) else list(obj)
        return str(obj)

    return json.loads(json.dumps(value, default=default, ensure_ascii=False))


def open_engine(url: str | None, *, readonly: bool = False) -> tuple[Engine, str]:
    """Resolve ``url`` and return (engine, printable location) after one successful connection.

    Every way this can fail becomes an ArchiveError naming the location and the reason.
    """
    from storage import db

    try:
        location = db.resolve(url)
        engine = db.create_archive_engine(location, readonly=readonly)
    except db.DatabaseLocationError as exc:
        raise ArchiveError(str(exc)) from exc
    where = location.display()
    try:
        with engine.connect() as conn:
            if location.is_sqlite:
                # Touch the file header so "file is not a database" surfaces here, not later.
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
    except (DBAPIError, SQLAlchemyError) as exc:
        engine.dispose()
        raise ArchiveError(f"cannot open archive {where}: {_reason(exc)}") from exc
    return engine, where


class Archive(ReparseStoreMixin):
    def __init__(self, engine: Engine, where: str, *, readonly: bool) -> None:
        self._engine = engine
        self.where = where  # printable location (no password)
        self.readonly = readonly
        self._agency_cache: dict[tuple[str, str | None], tuple[int, str]] = {}

    # --- lifecycle ---------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None, *, readonly: bool = False, upgrade: bool = True) -> Archive:
        """Open (and by default create/upgrade via Alembic) the archive.

        ``url``: SQLAlchemy URL or a plain file path; None -> $NIANBAO_DB -> sqlite file ./nianbao.db.
        SQLite: WAL, foreign keys on, busy timeout. Raises ArchiveError with a clear message for an
        unknown scheme, a directory that does not exist, a read-only file, a newer schema version.
        """
        from storage import migrate

        engine, where = open_engine(url, readonly=readonly)
        try:
            with engine.connect() as conn:
                revisions = migrate.current_revisions(conn)
            migrate.refuse_newer(revisions, where)
            head = migrate.head_revision()
            if head not in revisions:
                if not revisions and (readonly or not upgrade):
                    raise ArchiveError(
                        f"{where} is not a nianbao archive (no schema); create it with `nianbao db upgrade --db {where}`"
                    )
                if readonly:
                    raise ArchiveError(
                        f"archive {where} has schema revision {', '.join(revisions)}, older than this nianbao's "
                        f"{head}; run `nianbao db upgrade --db {where}` first"
                    )
                if upgrade:
                    migrate.upgrade(engine, where=where)
        except ArchiveError:
            engine.dispose()
            raise
        except SQLAlchemyError as exc:
            engine.dispose()
            raise ArchiveError(f"cannot open archive {where}: {_reason(exc)}") from exc
        return cls(engine, where, readonly=readonly)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction; lock/connection trouble becomes an ArchiveError, the rest propagates."""
        if self.readonly:
            raise ArchiveError(f"archive {self.where} was opened read-only")
        try:
            with self._engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
                yield conn
        except OperationalError as exc:
            raise ArchiveError(f"archive {self.where}: {_reason(exc)}") from exc

    @contextmanager
    def _read(self, *, snapshot: bool = False) -> Iterator[Connection]:
        """A read connection. ``snapshot``: every query sees the same committed state (SQLite read
        transactions already do; PostgreSQL needs REPEATABLE READ)."""
        with self._engine.connect() as conn:
            if snapshot and conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            yield conn

    # --- crawl runs ----------------------------------------------------------------------------
    def start_run(self, kind: str, settings: dict[str, Any]) -> int:
        """A new crawl_runs row (kind: "crawl" | "demo"), outcome "running". Returns its id."""
        from storage.writes import RUNS, utcnow

        with self._write() as conn:
            result = conn.execute(
                insert(RUNS).values(
                    kind=kind, started_at=utcnow(), settings=_jsonable(settings), stats=None, outcome="running"
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def finish_run(self, run_id: int, outcome: str, stats: dict[str, Any]) -> None:
        """outcome: "finished" | "finished_with_errors" | "failed" | "interrupted"; stats per portal."""
        from storage.writes import RUNS, utcnow

        with self._write() as conn:
            result = conn.execute(
                update(RUNS)
                .where(RUNS.c.id == run_id)
                .values(outcome=outcome, stats=_jsonable(stats), finished_at=utcnow())
            )
            if result.rowcount != 1:
                raise ArchiveError(f"no crawl run {run_id} in archive {self.where}")

    def run_info(self, run_id: int) -> dict[str, Any] | None:
        """The crawl_runs row as a dict (None if unknown)."""
        from storage.writes import RUNS

        with self._read() as conn:
            row = conn.execute(select(RUNS).where(RUNS.c.id == run_id)).mappings().first()
            return dict(row) if row is not None else None

    # --- captures and blobs --------------------------------------------------------------------
    def store_capture(self, response: FetchedResponse, run_id: int | None) -> CaptureRef:
        """Keep one exchange (capture row + content-addressed compressed blob) in one transaction."""
        from storage.writes import put_capture

        with self._write() as conn:
            return put_capture(conn, response, run_id, None)

    def validators_for(self, url: str) -> Validators | None:
        """ETag / Last-Modified / sha256 of the newest 2xx capture of ``url`` (requested or final URL)."""
        from storage.writes import CAPTURES

        c = CAPTURES.c
        with self._read() as conn:
            row = conn.execute(
                select(c.id, c.sha256, c.status, c.etag, c.last_modified)
                .where((c.url == url) | (c.final_url == url), c.status >= 200, c.status < 300)
                .order_by(c.fetched_at.desc(), c.id.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        return Validators(
            capture_id=int(row.id), sha256=row.sha256, status=int(row.status), etag=row.etag,
            last_modified=row.last_modified,
        )

    def validators_under(self, prefix: str) -> dict[str, Validators]:
        """``validators_for`` of every archived URL starting with ``prefix`` (e.g. one portal's
        ``http://host:port/``), in one query: the crawler loads a host once instead of asking per request."""
        from storage.reads import validators_under

        with self._read() as conn:
            rows = validators_under(conn, prefix)
        return {
            url: Validators(capture_id=cid, sha256=sha, status=status, etag=etag, last_modified=lm)
            for url, (cid, sha, status, etag, lm) in rows.items()
        }

    def current_report_urls(self) -> set[str]:
        """URLs of the current report versions (cheap; no cells)."""
        from storage.reads import current_report_urls

        with self._read() as conn:
            return current_report_urls(conn)

    def read_blob(self, sha256: str) -> bytes:
        """The payload bytes, decompressed. KeyError if unknown."""
        from storage.blobs import decompress
        from storage.writes import BLOBS

        with self._read() as conn:
            row = conn.execute(select(BLOBS.c.codec, BLOBS.c.data).where(BLOBS.c.sha256 == sha256)).first()
        if row is None:
            raise KeyError(sha256)
        return decompress(row.codec, row.data)

    def capture_info(self, capture_id: int) -> dict[str, Any] | None:
        """A capture row as a dict (headers as [name, value] lists), without the payload."""
        from storage.writes import CAPTURES

        with self._read() as conn:
            row = conn.execute(select(CAPTURES).where(CAPTURES.c.id == capture_id)).mappings().first()
            return dict(row) if row is not None else None

    # --- reports -------------------------------------------------------------------------------
    def record_report(
        self,
        *,
        run_id: int | None,
        portal: PortalInfo | None,
        page: FetchedResponse,
        parsed: ParseResult,
        attachments: list[tuple[FetchedResponse, ParseResult]] = (),  # type: ignore[assignment]
        parsed_from: str = "page",  # "page" or the URL of the attachment the cells came from
    ) -> RecordOutcome:
        """Page capture + attachment captures + blobs + report version + cells + checks + sections,
        in ONE transaction.

        ``parsed`` is the final result (for attachment reports: ``combine(page, attachment)``).
        Agency is resolved from parsed.metadata.agency within the portal's region (created if new).
        Not a report (``parsed.is_report`` False) -> captures only, change "not_report".
        Same (agency, year) with identical content (metadata + cells + template + source) -> "unchanged":
        the new captures are linked to the current version, no new version. Different -> a new
        version becomes current; the old one stays as history ("changed").
        """
        from sqlalchemy.exc import IntegrityError

        args = (run_id, portal, page, parsed, list(attachments), parsed_from)
        try:
            return self._record_report(*args)
        except IntegrityError:
            # PostgreSQL only (SQLite writers are serialised by BEGIN IMMEDIATE): a concurrent writer
            # (a second crawl, a reparse) committed a version of the same report between our read of
            # the current version and our insert. Everything rolled back; the retry sees its commit.
            return self._record_report(*args)

    def _record_report(
        self,
        run_id: int | None,
        portal: PortalInfo | None,
        page: FetchedResponse,
        parsed: ParseResult,
        attachments: list[tuple[FetchedResponse, ParseResult]],
        parsed_from: str,
    ) -> RecordOutcome:
        from storage import writes as w

        portal_name = portal.name if portal is not None else None
        with self._write() as conn:
            page_ref = w.put_capture(conn, page, run_id, portal_name)
            links: list[tuple[int, str, bool]] = [(page_ref.id, "page", parsed_from == "page")]
            for response, _result in attachments:
                ref = w.put_capture(conn, response, run_id, portal_name)
                from_this = parsed_from != "page" and parsed_from in (response.url, response.final_url)
                links.append((ref.id, "attachment", from_this))
            if not any(pf for _, _, pf in links):
                log.warning("record_report: parsed_from=%r names no attachment of %s; crediting the page",
                            parsed_from, page.url)
                links[0] = (page_ref.id, "page", True)
            capture_ids = tuple(cid for cid, _, _ in links)
            if not parsed.is_report:
                return RecordOutcome(report_id=None, version_id=None, change="not_report", capture_ids=capture_ids)

            url = w.clean(page.final_url or page.url) or ""
            agency_id = w.resolve_agency(conn, parsed.metadata, portal, self._agency_cache)
            report_id = w.resolve_report(conn, agency_id, parsed.metadata.year, url)
            cells = w.cell_tuples(parsed)
            chash = w.content_hash(parsed, cells)
            current = w.current_version(conn, report_id)
            if current is not None and current.content_hash == chash:
                w.link_captures(conn, int(current.id), links)
                return RecordOutcome(
                    report_id=report_id, version_id=int(current.id), change="unchanged", capture_ids=capture_ids
                )
            now = w.utcnow()
            if current is not None:
                w.supersede(conn, int(current.id), now)
            version_id = w.insert_version(
                conn,
                report_id=report_id,
                version_no=int(current.version_no) + 1 if current is not None else 1,
                run_id=run_id,
                url=url,
                parsed=parsed,
                chash=chash,
                when=now,
            )
            w.link_captures(conn, version_id, links)
            w.insert_content(conn, version_id, parsed, cells)
            change = "new" if current is None else "changed"
            return RecordOutcome(report_id=report_id, version_id=version_id, change=change, capture_ids=capture_ids)

    def add_agency_alias(self, name: str, region_code: str | None, alias: str) -> bool:
        """Record that ``alias`` (e.g. 山阳县政府) names the agency ``name`` (山阳县人民政府) in a region,
        so reports found under the alias file under the same agency. False if the agency is unknown."""
        from storage.writes import AGENCIES, ALIASES, insert_ignoring_conflict

        region = AGENCIES.c.region_code.is_(None) if region_code is None else AGENCIES.c.region_code == region_code
        with self._write() as conn:
            agency_id = conn.execute(select(AGENCIES.c.id).where(AGENCIES.c.name == name, region)).scalar()
            if agency_id is None:
                return False
            conn.execute(
                insert_ignoring_conflict(conn, ALIASES, ["agency_id", "alias"]).values(agency_id=agency_id, alias=alias)
            )
            return True

    def report_history(self, report_id: int) -> list[dict[str, Any]]:
        """Every version of a report, oldest first (version_no, is_current, created_at, superseded_at, ...)."""
        from storage.writes import VERSIONS

        with self._read() as conn:
            rows = conn.execute(
                select(VERSIONS).where(VERSIONS.c.report_id == report_id).order_by(VERSIONS.c.version_no)
            ).mappings()
            return [dict(r) for r in rows]

    # --- reading -------------------------------------------------------------------------------
    def export_records(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Current report versions as CLI-contract dicts (see ParseResult.to_record).

        filters: year, region (code prefix or province/city/county name), agency (substring), template.
        Each filter takes one value or a list (values of one filter are OR-ed, filters AND-ed).
        """
        from storage.exports import iter_reports, to_record
        from storage.reads import current_versions_query

        current_versions_query(filters)  # validate filter names now, not on first next()

        def generate() -> Iterator[dict[str, Any]]:
            with self._read(snapshot=True) as conn:
                for row in iter_reports(conn, filters):
                    yield to_record(row)

        return generate()

    def integrity_problems(self) -> list[str]:
        """Consistency checks a killed crawl must never break (empty list = consistent):
        versions without their page capture, cells/checks/sections without their version, captures
        whose blob is missing, blobs no capture uses, reports without exactly one current version."""
        from storage.reads import integrity_queries

        with self._read() as conn:
            return [
                f"{n} {label}"
                for label, query in integrity_queries()
                if (n := int(conn.execute(query).scalar_one())) > 0
            ]

    def stats(self) -> dict[str, int]:
        """Counts of captures, blobs, agencies, reports, report versions, cells, runs."""
        from storage import writes as w

        tables = {
            "captures": w.CAPTURES,
            "blobs": w.BLOBS,
            "agencies": w.AGENCIES,
            "reports": w.REPORTS,
            "report_versions": w.VERSIONS,
            "runs": w.RUNS,
        }
        with self._read() as conn:
            out = {name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for name, t in tables.items()}
            sizes = conn.execute(
                select(func.coalesce(func.sum(w.BLOBS.c.size), 0), func.coalesce(func.sum(w.BLOBS.c.stored_size), 0))
            ).one()
            out["cells"] = int(
                conn.execute(select(func.coalesce(func.sum(w.VERSION_CELLS.c.n_cells), 0))).scalar_one()
            )
        out["blob_bytes"] = int(sizes[0])
        out["blob_stored_bytes"] = int(sizes[1])
        return out
