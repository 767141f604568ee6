"""Plain records that cross the archive API boundary (no SQLAlchemy types leak out of storage/)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(slots=True)
class FetchedResponse:
    """One HTTP exchange exactly as it happened. The archive stores it in full, bytes untouched."""

    url: str  # the URL requested first
    final_url: str  # after redirects
    status: int
    body: bytes
    response_headers: list[tuple[str, str]]  # every header, repeated ones kept, in order
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    method: str = "GET"
    redirect_chain: list[str] = field(default_factory=list)  # URLs before final_url, in order
    fetched_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    portal: str | None = None  # name of the sources-file entry this was fetched for
    declared_encoding: str | None = None
    detected_encoding: str | None = None
    encoding_rule: str | None = None


@dataclass(frozen=True, slots=True)
class CaptureRef:
    id: int
    sha256: str
    new_blob: bool  # False when the payload was already stored (dedup)


@dataclass(frozen=True, slots=True)
class Validators:
    """What a conditional re-request needs about the newest stored capture of a URL."""

    capture_id: int
    sha256: str
    status: int
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True, slots=True)
class PortalInfo:
    """The sources-file entry a page belongs to (region of the agencies found there)."""

    name: str
    region_code: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    report_id: int | None  # None when the page was kept as a capture only (not a report)
    version_id: int | None
    change: str  # "new" | "changed" | "unchanged" | "not_report"
    capture_ids: tuple[int, ...]
