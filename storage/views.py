"""SQL of the researcher views, on SQLite and PostgreSQL.

The migrations call these functions with the key figures and check names FROZEN at that
revision (a migration must produce the same schema forever); a later migration that wants more
columns drops and recreates the views with its own lists. The SQL of a revision is never edited:
revision 0001's views read the ``cells`` table; 0003 stores a version's cells as one JSON document
(``version_cells``, see storage.content_docs) and its views read that.

- ``cells`` (0003 on): the cells of every version, unpacked: (version_id, key, value, raw).
- ``checks`` (0003 on): the check rows of every version, unpacked: (version_id, check, instance,
  verdict, detail), the report-level verdicts as instance '*'.
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


_WIDE_HEAD = (
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
)


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
    cols = ",\n  ".join([*_WIDE_HEAD, *figure_cols, *check_cols])
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
    """Revision 0001's views (over the ``cells`` table)."""
    return [report_wide_sql(key_figures, checks), CELL_VALUES_SQL]


def drop_view_statements() -> list[str]:
    return [f"DROP VIEW IF EXISTS {name}" for name in VIEW_NAMES]


# --- revision 0003: cells stored as one JSON document per version ---------------------------------

_CELLS_SELECT = {
    "sqlite": """SELECT
  vc.version_id AS version_id,
  j.key AS key,
  json_extract(j.value, '$[0]') AS value,
  json_extract(j.value, '$[1]') AS raw
FROM version_cells vc, json_each(vc.cells) j""",
    "postgresql": """SELECT
  vc.version_id AS version_id,
  j.key AS key,
  (j.value ->> 0)::double precision AS value,
  j.value ->> 1 AS raw
FROM version_cells vc
  CROSS JOIN LATERAL json_each(vc.cells::json) AS j""",
}


def cells_select_sql(dialect: str) -> str:
    """The rows the ``cells`` table of revision 0001 held, unpacked from the version_cells documents."""
    return _CELLS_SELECT[dialect]


def cells_view_sql(dialect: str) -> str:
    return "CREATE VIEW cells AS\n" + cells_select_sql(dialect)


_CHECKS_SELECT = {
    "sqlite": """SELECT
  vk.version_id AS version_id,
  json_extract(j.value, '$[0]') AS "check",
  json_extract(j.value, '$[1]') AS instance,
  json_extract(j.value, '$[2]') AS verdict,
  json_extract(j.value, '$[3]') AS detail
FROM version_checks vk, json_each(vk.instances) j
UNION ALL
SELECT vk.version_id, j.key, '*', j.value, NULL
FROM version_checks vk, json_each(vk.verdicts) j""",
    "postgresql": """SELECT
  vk.version_id AS version_id,
  j.value ->> 0 AS "check",
  j.value ->> 1 AS instance,
  j.value ->> 2 AS verdict,
  j.value ->> 3 AS detail
FROM version_checks vk
  CROSS JOIN LATERAL json_array_elements(vk.instances::json) AS j(value)
UNION ALL
SELECT vk.version_id, r.key, '*'::text, r.value, NULL::text
FROM version_checks vk
  CROSS JOIN LATERAL json_each_text(vk.verdicts::json) AS r""",
}


def checks_select_sql(dialect: str) -> str:
    """The rows the ``checks`` table of revision 0001 held, from the version_checks documents."""
    return _CHECKS_SELECT[dialect]


def checks_view_sql(dialect: str) -> str:
    return "CREATE VIEW checks AS\n" + checks_select_sql(dialect)


def _figure(dialect: str, key: str) -> str:
    if dialect == "sqlite":
        return f"json_extract(vc.cells, {_literal(f'$.{_json_path_key(key)}[0]')})"
    return f"(vc.doc -> {_literal(key)} ->> 0)::double precision"


def _verdict(dialect: str, check: str) -> str:
    if dialect == "sqlite":
        return f"json_extract(vk.verdicts, {_literal(f'$.{_json_path_key(check)}')})"
    return f"(vk.doc ->> {_literal(check)})"


def _json_path_key(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def report_wide_json_sql(dialect: str, key_figures: Sequence[str], checks: Sequence[str]) -> str:
    """``report_wide`` reading the key figures and verdicts straight from the version's documents."""
    figure_cols = [f"{_figure(dialect, k)} AS {column_for_key(k)}" for k in key_figures]
    check_cols = [f"{_verdict(dialect, name)} AS check_{name}" for name in checks]
    cols = ",\n  ".join([*_WIDE_HEAD, *figure_cols, *check_cols])
    if dialect == "sqlite":
        cells_join = (
            "  LEFT JOIN version_cells vc ON vc.version_id = v.id\n"
            "  LEFT JOIN version_checks vk ON vk.version_id = v.id\n"
        )
    else:  # parse each document once per row (jsonb), not once per column
        cells_join = (
            "  LEFT JOIN LATERAL (SELECT c.cells::jsonb AS doc FROM version_cells c "
            "WHERE c.version_id = v.id) vc ON true\n"
            "  LEFT JOIN LATERAL (SELECT k.verdicts::jsonb AS doc FROM version_checks k "
            "WHERE k.version_id = v.id) vk ON true\n"
        )
    return (
        "CREATE VIEW report_wide AS\nSELECT\n  "
        + cols
        + "\nFROM report_versions v\n  JOIN reports r ON r.id = v.report_id\n"
        "  JOIN agencies a ON a.id = r.agency_id\n" + cells_join + "WHERE v.is_current"
    )


def create_json_view_statements(dialect: str, key_figures: Sequence[str], checks: Sequence[str]) -> list[str]:
    """Revision 0003's views: ``cells`` and ``checks`` (unpacking version_cells and version_checks),
    then ``report_wide`` and ``cell_values`` (the latter as in 0001, now over the view)."""
    return [
        cells_view_sql(dialect),
        checks_view_sql(dialect),
        report_wide_json_sql(dialect, key_figures, checks),
        CELL_VALUES_SQL,
    ]


def drop_json_view_statements() -> list[str]:
    return [*drop_view_statements(), "DROP VIEW IF EXISTS checks", "DROP VIEW IF EXISTS cells"]
