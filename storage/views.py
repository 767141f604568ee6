"""SQL of the researcher views (valid on SQLite and PostgreSQL).

The migrations call these functions with the key figures and check names FROZEN at that
revision (a migration must produce the same schema forever); a later migration that wants more
columns drops and recreates the views with its own lists.

- ``report_wide``: one row per current report version, key figures as columns, one verdict per check.
- ``cell_values``: every cell of current versions, with agency, region and year (long format).
"""

from __future__ import annotations

from collections.abc import Sequence

VIEW_NAMES = ("report_wide", "cell_values")


def column_for_key(key: str) -> str:
    """``t3.new_received.total`` -> ``t3__new_received__total`` (a plain SQL identifier)."""
    return key.replace(".", "__")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def report_wide_sql(key_figures: Sequence[str], checks: Sequence[str]) -> str:
    figure_cols = [
        f"(SELECT c.value FROM cells c WHERE c.version_id = v.id AND c.key = {_literal(k)}) AS {column_for_key(k)}"
        for k in key_figures
    ]
    check_cols = [
        f'(SELECT k.verdict FROM checks k WHERE k.version_id = v.id AND k."check" = {_literal(name)} '
        f"AND k.instance = '*') AS check_{name}"
        for name in checks
    ]
    cols = ",\n  ".join(
        [
            "r.id AS report_id",
            "v.id AS version_id",
            "a.name AS agency",
            "a.kind AS agency_kind",
            "a.province",
            "a.city",
            "a.county",
            "a.region_code",
            "r.year",
            "v.title",
            "v.url",
            "v.published_date AS published",
            "v.template",
            "v.source",
            "v.parse_status",
            "v.parser_version",
            *figure_cols,
            *check_cols,
        ]
    )
    return (
        "CREATE VIEW report_wide AS\nSELECT\n  "
        + cols
        + "\nFROM report_versions v\n  JOIN reports r ON r.id = v.report_id\n"
        "  JOIN agencies a ON a.id = r.agency_id\nWHERE v.is_current"
    )


CELL_VALUES_SQL = """CREATE VIEW cell_values AS
SELECT
  r.id AS report_id,
  v.id AS version_id,
  a.name AS agency,
  a.province,
  a.city,
  a.county,
  a.region_code,
  r.year,
  v.template,
  c.key,
  c.value,
  c.raw
FROM cells c
  JOIN report_versions v ON v.id = c.version_id
  JOIN reports r ON r.id = v.report_id
  JOIN agencies a ON a.id = r.agency_id
WHERE v.is_current"""


def create_view_statements(key_figures: Sequence[str], checks: Sequence[str]) -> list[str]:
    return [report_wide_sql(key_figures, checks), CELL_VALUES_SQL]


def drop_view_statements() -> list[str]:
    return [f"DROP VIEW IF EXISTS {name}" for name in VIEW_NAMES]
