"""Initial archive schema: blobs, runs, captures, agencies, reports, versions, cells, checks,
sections, and the researcher views report_wide / cell_values.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.views import create_view_statements, drop_view_statements

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen at this revision (a later revision recreating the views brings its own lists).
KEY_FIGURES = (
    "t3.new_received.total",
    "t3.carried_over.total",
    "t3.granted.total",
    "t3.partial.total",
    "t3.result_total.total",
    "t3.carry_next.total",
    "t4.review.total",
    "t4.lit_direct.total",
    "t4.lit_after.total",
)
CHECKS = ("t3_flow", "t3_row_total", "t3_result_sum", "t4_subtotals", "cross_year")

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("codec", sa.String(16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stored_size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_blobs"),
    )
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("settings", sa.JSON(), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crawl_runs"),
    )
    op.create_table(
        "captures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("portal", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("final_url", sa.Text(), nullable=False),
        sa.Column("redirect_chain", sa.JSON(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("request_headers", sa.JSON(), nullable=False),
        sa.Column("response_headers", sa.JSON(), nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("declared_encoding", sa.Text(), nullable=True),
        sa.Column("detected_encoding", sa.Text(), nullable=True),
        sa.Column("encoding_rule", sa.Text(), nullable=True),
        sa.Column("content_type", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("payload_size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], name="fk_captures_run_id_crawl_runs"),
        sa.ForeignKeyConstraint(["sha256"], ["blobs.sha256"], name="fk_captures_sha256_blobs"),
        sa.PrimaryKeyConstraint("id", name="pk_captures"),
    )
    op.create_index("ix_captures_run_id", "captures", ["run_id"])
    op.create_index("ix_captures_url", "captures", ["url"])
    op.create_index("ix_captures_final_url", "captures", ["final_url"])
    op.create_index("ix_captures_sha256", "captures", ["sha256"])

    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("province", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("county", sa.Text(), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_agencies"),
        sa.UniqueConstraint("name", "region_code", name="uq_agencies_name_region_code"),
    )
    op.create_index("ix_agencies_region_code", "agencies", ["region_code"])
    op.create_table(
        "agency_aliases",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_agency_aliases_agency_id_agencies", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("agency_id", "alias", name="pk_agency_aliases"),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name="fk_reports_agency_id_agencies"),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
        sa.UniqueConstraint("agency_id", "year", name="uq_reports_agency_id_year"),
    )
    op.create_index("ix_reports_year", "reports", ["year"])
    op.create_table(
        "report_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("version_no", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("index_no", sa.Text(), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("doc_no", sa.Text(), nullable=True),
        sa.Column("written_date", sa.Date(), nullable=True),
        sa.Column("published_date", sa.Date(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("template", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("parser_version", sa.Text(), nullable=False),
        sa.Column("parse_status", sa.String(32), nullable=False),
        sa.Column("parse_message", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("superseded_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name="fk_report_versions_report_id_reports"),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], name="fk_report_versions_run_id_crawl_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_report_versions"),
        sa.UniqueConstraint("report_id", "version_no", name="uq_report_versions_report_id_version_no"),
    )
    op.create_index(
        "uq_report_versions_current",
        "report_versions",
        ["report_id"],
        unique=True,
        sqlite_where=sa.text("is_current"),
        postgresql_where=sa.text("is_current"),
    )
    op.create_table(
        "report_version_captures",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("parsed_from", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["report_versions.id"],
            name="fk_report_version_captures_version_id_report_versions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["captures.id"], name="fk_report_version_captures_capture_id_captures"
        ),
        sa.PrimaryKeyConstraint("version_id", "capture_id", name="pk_report_version_captures"),
    )
    op.create_index("ix_report_version_captures_capture_id", "report_version_captures", ["capture_id"])
    op.create_table(
        "cells",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"], ["report_versions.id"], name="fk_cells_version_id_report_versions", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("version_id", "key", name="pk_cells"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "checks",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("check", sa.Text(), nullable=False),
        sa.Column("instance", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"], ["report_versions.id"], name="fk_checks_version_id_report_versions", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("version_id", "check", "instance", name="pk_checks"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "sections",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["report_versions.id"], name="fk_sections_version_id_report_versions", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("version_id", "key", name="pk_sections"),
    )
    for statement in create_view_statements(KEY_FIGURES, CHECKS):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_view_statements():
        op.execute(statement)
    for table in (
        "sections",
        "checks",
        "cells",
        "report_version_captures",
        "report_versions",
        "reports",
        "agency_aliases",
        "agencies",
        "captures",
        "crawl_runs",
        "blobs",
    ):
        op.drop_table(table)
