"""version_cells / version_checks: a version's cells and checks as JSON documents; ``cells`` and
``checks`` become views.

Why (storage/content_docs.py): ~200 cell rows and ~45 check rows per version cost more server time
than parsing the page, and the rows (index entries, tuple headers, foreign-key checks) outweighed
the data. The views ``cells`` and ``checks`` keep every query that read the tables working;
``report_wide`` reads key figures and verdicts from the documents, ``cell_values`` is unchanged
over the view. The data moves inside the database, in SQL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.views import (
    cells_select_sql,
    checks_select_sql,
    create_json_view_statements,
    create_view_statements,
    drop_json_view_statements,
    drop_view_statements,
)

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen at this revision; the same lists as 0001, so the views keep their columns.
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

# One document per version, keys in order (SQLite aggregates in the order the subquery gives).
_PACK = {
    "sqlite": (
        "INSERT INTO version_cells (version_id, n_cells, cells) "
        "SELECT version_id, count(*), json_group_object(key, json_array(value, raw)) "
        "FROM (SELECT version_id, key, value, raw FROM cells ORDER BY version_id, key) "
        "GROUP BY version_id"
    ),
    "postgresql": (
        "INSERT INTO version_cells (version_id, n_cells, cells) "
        "SELECT version_id, count(*), "
        'json_object_agg(key, json_build_array(value, raw) ORDER BY key COLLATE "C")::text '
        "FROM cells GROUP BY version_id"
    ),
}


# Report-level verdicts {check: verdict}, instances [[check, instance, verdict, detail]] in order.
_PACK_CHECKS = {
    "sqlite": (
        "INSERT INTO version_checks (version_id, n_checks, verdicts, instances) "
        "SELECT version_id, sum(instance <> '*'), "
        "coalesce(json_group_object(\"check\", verdict) FILTER (WHERE instance = '*'), '{}'), "
        'coalesce(json_group_array(json_array("check", instance, verdict, detail)) '
        "FILTER (WHERE instance <> '*'), '[]') "
        'FROM (SELECT version_id, "check", instance, verdict, detail FROM checks '
        'ORDER BY version_id, "check", instance) '
        "GROUP BY version_id"
    ),
    "postgresql": (
        "INSERT INTO version_checks (version_id, n_checks, verdicts, instances) "
        "SELECT version_id, count(*) FILTER (WHERE instance <> '*'), "
        'coalesce(json_object_agg("check", verdict ORDER BY "check" COLLATE "C") '
        "FILTER (WHERE instance = '*'), '{}')::text, "
        'coalesce(json_agg(json_build_array("check", instance, verdict, detail) '
        'ORDER BY "check" COLLATE "C", instance COLLATE "C") FILTER (WHERE instance <> \'*\'), \'[]\')::text '
        "FROM checks GROUP BY version_id"
    ),
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_view_statements():
        op.execute(statement)
    op.create_table(
        "version_cells",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("n_cells", sa.Integer(), nullable=False),
        sa.Column("cells", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["report_versions.id"],
            name="fk_version_cells_version_id_report_versions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", name="pk_version_cells"),
    )
    op.create_table(
        "version_checks",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("n_checks", sa.Integer(), nullable=False),
        sa.Column("verdicts", sa.Text(), nullable=False),
        sa.Column("instances", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["report_versions.id"],
            name="fk_version_checks_version_id_report_versions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", name="pk_version_checks"),
    )
    op.execute(_PACK[dialect])
    op.execute(_PACK_CHECKS[dialect])
    op.drop_table("cells")
    op.drop_table("checks")
    for statement in create_json_view_statements(dialect, KEY_FIGURES, CHECKS):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_json_view_statements():
        op.execute(statement)
    op.create_table(  # as revision 0001 made it
        "cells",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["report_versions.id"],
            name="fk_cells_version_id_report_versions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "key", name="pk_cells"),
        sqlite_with_rowid=False,
    )
    op.create_table(  # as revision 0001 made it
        "checks",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("check", sa.Text(), nullable=False),
        sa.Column("instance", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["report_versions.id"],
            name="fk_checks_version_id_report_versions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "check", "instance", name="pk_checks"),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO cells (version_id, key, value, raw) "
        f"SELECT version_id, key, value, raw FROM ({cells_select_sql(dialect)}) AS unpacked"
    )
    op.execute(
        'INSERT INTO checks (version_id, "check", instance, verdict, detail) '
        f'SELECT version_id, "check", instance, verdict, detail FROM ({checks_select_sql(dialect)}) AS unpacked'
    )
    op.drop_table("version_cells")
    op.drop_table("version_checks")
    for statement in create_view_statements(KEY_FIGURES, CHECKS):
        op.execute(statement)
