"""The one storage API. The crawl, the re-parser, the exports and the CLI use only this.

CONTRACT (signatures fixed; bodies owned by the storage implementation). Nothing outside storage/
writes SQL or imports storage.models.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crawler.parsing.result import ParseResult
from storage.records import CaptureRef, FetchedResponse, PortalInfo, RecordOutcome, Validators


class ArchiveError(Exception):
    """Any archive problem a user can act on (bad URL, unreadable file, newer schema...). Clear message."""


class Archive:
    # --- lifecycle ---------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None, *, readonly: bool = False, upgrade: bool = True) -> Archive:
        """Open (and by default create/upgrade via Alembic) the archive.

        ``url``: SQLAlchemy URL or a plain file path; None -> $NIANBAO_DB -> sqlite file ./nianbao.db.
        SQLite: WAL, foreign keys on, busy timeout. Raises ArchiveError with a clear message for an
        unknown scheme, a directory that does not exist, a read-only file, a newer schema version.
        """
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- crawl runs ----------------------------------------------------------------------------
    def start_run(self, kind: str, settings: dict[str, Any]) -> int:
        """A new crawl_runs row (kind: "crawl" | "demo"), outcome "running". Returns its id."""
        raise NotImplementedError

    def finish_run(self, run_id: int, outcome: str, stats: dict[str, Any]) -> None:
        """outcome: "finished" | "finished_with_errors" | "failed" | "interrupted"; stats per portal."""
        raise NotImplementedError

    # --- captures and blobs --------------------------------------------------------------------
    def store_capture(self, response: FetchedResponse, run_id: int | None) -> CaptureRef:
        """Keep one exchange (capture row + content-addressed compressed blob) in one transaction."""
        raise NotImplementedError

    def validators_for(self, url: str) -> Validators | None:
        """ETag / Last-Modified / sha256 of the newest 2xx capture of ``url`` (requested or final URL)."""
        raise NotImplementedError

    def read_blob(self, sha256: str) -> bytes:
        """The payload bytes, decompressed. KeyError if unknown."""
        raise NotImplementedError

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
        raise NotImplementedError

    # --- reading -------------------------------------------------------------------------------
    def export_records(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Current report versions as CLI-contract dicts (see ParseResult.to_record).

        filters: year, region (code prefix or province/city/county name), agency (substring), template.
        """
        raise NotImplementedError

    def stats(self) -> dict[str, int]:
        """Counts of captures, blobs, agencies, reports, report versions, cells, runs."""
        raise NotImplementedError
