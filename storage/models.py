"""The archive schema as typed SQLAlchemy 2.x ORM models.

Only storage/ imports this module. Alembic's env.py uses ``Base.metadata`` as target metadata;
the migrations in migrations/versions/ spell the same tables out explicitly (and
tests/test_migrations.py checks the two agree).

Design notes:
- captures keep the exchange verbatim (headers as [name, value] pairs, bytes in a blob); decoded
  text is never stored, so any parser can be re-run on exactly what was fetched.
- blobs are content-addressed by sha256 and stored once however many captures share them.
- strings a parser or a web page produces (cell/check/section keys, encodings, parser version)
  are TEXT: a VARCHAR limit would make PostgreSQL reject a report SQLite accepts.
- a report is (agency, year); each parse that changes its content adds a report_version, the newest
  one is_current (enforced by a partial unique index), older ones are history.
- a version's cells and checks are JSON documents (version_cells, version_checks, since revision 0003);
  ``cells`` and ``checks`` are views.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    pass


Base.metadata.naming_convention = NAMING  # type: ignore[assignment]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Blob(Base):
    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)  # of the uncompressed payload
    codec: Mapped[str] = mapped_column(String(16))  # zstd | gzip | identity
    size: Mapped[int] = mapped_column(Integer)  # uncompressed bytes
    stored_size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # crawl | demo | reparse ...
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # per portal
    outcome: Mapped[str] = mapped_column(String(32), default="running")


class Capture(Base):
    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    portal: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text, index=True)
    final_url: Mapped[str] = mapped_column(Text, index=True)
    redirect_chain: Mapped[list[Any]] = mapped_column(JSON)
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[int] = mapped_column(Integer)
    request_headers: Mapped[list[Any]] = mapped_column(JSON)
    response_headers: Mapped[list[Any]] = mapped_column(JSON)  # [[name, value], ...] verbatim, in order
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    declared_encoding: Mapped[str | None] = mapped_column(Text)
    detected_encoding: Mapped[str | None] = mapped_column(Text)
    encoding_rule: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    payload_size: Mapped[int] = mapped_column(Integer)


class Agency(Base):
    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("name", "region_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))  # county_government|government_office|department|township|summary|other
    province: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    county: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)


class AgencyAlias(Base):
    __tablename__ = "agency_aliases"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True)
    alias: Mapped[str] = mapped_column(Text, primary_key=True)


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("agency_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    year: Mapped[int | None] = mapped_column(Integer, index=True)


class ReportVersion(Base):
    __tablename__ = "report_versions"
    __table_args__ = (
        UniqueConstraint("report_id", "version_no"),
        Index(
            "uq_report_versions_current",
            "report_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    version_no: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    index_no: Mapped[str | None] = mapped_column(Text)
    issuer: Mapped[str | None] = mapped_column(Text)
    doc_no: Mapped[str | None] = mapped_column(Text)
    written_date: Mapped[dt.date | None] = mapped_column(Date)
    published_date: Mapped[dt.date | None] = mapped_column(Date)
    category: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    parser_version: Mapped[str] = mapped_column(Text)
    parse_status: Mapped[str] = mapped_column(String(32))
    parse_message: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    superseded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ReportVersionCapture(Base):
    __tablename__ = "report_version_captures"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("report_versions.id", ondelete="CASCADE"), primary_key=True
    )
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))  # page | attachment
    parsed_from: Mapped[bool] = mapped_column(Boolean)


class VersionCells(Base):
    """The cells of one version as one JSON document ``{"key": [value, raw], ...}`` (storage.content_docs
    says why); the ``cells`` VIEW (storage.views) unpacks them into (version_id, key, value, raw)
    rows. A version without cells has no row here."""

    __tablename__ = "version_cells"

    version_id: Mapped[int] = mapped_column(ForeignKey("report_versions.id", ondelete="CASCADE"), primary_key=True)
    n_cells: Mapped[int] = mapped_column(Integer)
    cells: Mapped[str] = mapped_column(Text)


class VersionChecks(Base):
    """The identity checks of one version as two JSON documents (like version_cells, since 0003):
    ``verdicts`` {check: verdict} (the report level) and ``instances`` [[check, instance, verdict,
    detail], ...]; the ``checks`` VIEW (storage.views) gives the rows back, the report-level
    verdicts as instance '*'. A version without checks has no row here."""

    __tablename__ = "version_checks"

    version_id: Mapped[int] = mapped_column(ForeignKey("report_versions.id", ondelete="CASCADE"), primary_key=True)
    n_checks: Mapped[int] = mapped_column(Integer)  # instances
    verdicts: Mapped[str] = mapped_column(Text)
    instances: Mapped[str] = mapped_column(Text)


class SectionRow(Base):
    __tablename__ = "sections"

    version_id: Mapped[int] = mapped_column(ForeignKey("report_versions.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
