"""A version's cells, and its checks, as JSON documents: how the archive stores them (tables
``version_cells`` and ``version_checks``).

Why not a row per cell: a report has ~200 cells, and each row costs a heap tuple, a primary-key
index entry and a foreign-key check. On PostgreSQL that was ~30 KB and ~2.5 ms of server CPU per
version, more than parsing the page; at millions of reports the rows would be the archive. One row
per version holding ``{"key": [value, raw], ...}`` (keys sorted, compact, UTF-8) costs one insert,
and PostgreSQL compresses it (TOAST).

Researchers lose nothing: the ``cells`` VIEW (storage.views) unpacks the documents into the same
``(version_id, key, value, raw)`` rows the table had, on SQLite (``json_each``) and PostgreSQL
(``json_each``) alike. Code that reads many versions (exports, re-parse diffs) decodes the
documents here instead, in C (``json.loads``).

The checks of a version go the same way (a crawled report has ~45 check rows with their details):
``version_checks`` holds the report-level ``verdicts`` {check: verdict} and the ``instances``
[[check, instance, verdict, detail], ...]; the ``checks`` view gives the rows back, the verdicts
as instance ``'*'``.

A version without cells (checks) has no ``version_cells`` (``version_checks``) row. Cell values
are finite floats or null: JSON has no NaN/Infinity (a hostile 400-digit "number" would overflow
to inf), so a non-finite value is stored as null with its raw text kept.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select

from storage import models

VERSION_CELLS: Table = models.VersionCells.__table__  # type: ignore[assignment]
VERSION_CHECKS: Table = models.VersionChecks.__table__  # type: ignore[assignment]

CellTuple = tuple[str, float | None, str | None]  # (key, value, raw)

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def encode(cells: Sequence[CellTuple]) -> str:
    """The JSON document of ``cells`` ((key, value, raw) sorted by key, text already cleaned)."""
    if not cells:
        return "{}"
    keys, values, raws = zip(*cells, strict=True)
    doc = dict(zip(keys, zip(values, raws, strict=True), strict=True))  # (value, raw) pairs: JSON arrays
    try:
        return _encode(doc)
    except ValueError:  # inf / nan: not JSON; keep the raw text, drop the number
        return _encode(
            {k: (v if v is None or math.isfinite(v) else None, raw) for k, (v, raw) in doc.items()}
        )


def decode(text: str | None) -> dict[str, list[Any]]:
    """{key: [value, raw]} of a stored document (None: a version without cells), as json.loads gives
    it: no per-cell Python work (a re-parse decodes one per changed report). Values are floats, or
    ints in documents PostgreSQL's migration wrote; compare them as numbers (318 == 318.0)."""
    if not text:
        return {}
    doc: dict[str, list[Any]] = json.loads(text)
    return doc


def rows(text: str | None) -> list[CellTuple]:
    """(key, value, raw) of a stored document, sorted by key."""
    return [(k, None if v is None else float(v), raw) for k, (v, raw) in sorted(decode(text).items())]


def read(conn: Connection, version_ids: Iterable[int]) -> dict[int, str]:
    """The stored documents of these versions (one query; versions without cells are absent)."""
    ids = list(version_ids)
    if not ids:
        return {}
    result = conn.execute(
        select(VERSION_CELLS.c.version_id, VERSION_CELLS.c.cells).where(VERSION_CELLS.c.version_id.in_(ids))
    )
    return {int(vid): text for vid, text in result}


def encode_checks(
    verdicts: Sequence[tuple[str, str]], instances: Sequence[tuple[str, str, str, str | None]]
) -> tuple[str, str]:
    """(verdicts document, instances document) of a version's checks (text already cleaned)."""
    return _encode(dict(verdicts)), _encode(list(instances))


def decode_checks(verdicts: str | None, instances: str | None) -> tuple[dict[str, str], list[list[Any]]]:
    """({check: verdict}, [[check, instance, verdict, detail], ...]) of stored documents."""
    return (json.loads(verdicts) if verdicts else {}), (json.loads(instances) if instances else [])


def read_checks(conn: Connection, version_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """The stored (verdicts, instances) documents of these versions (one query)."""
    ids = list(version_ids)
    if not ids:
        return {}
    t = VERSION_CHECKS
    result = conn.execute(select(t.c.version_id, t.c.verdicts, t.c.instances).where(t.c.version_id.in_(ids)))
    return {int(vid): (v, i) for vid, v, i in result}


def read_verdicts(conn: Connection, version_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """{check: verdict} of these versions (one query, the verdicts documents only; a version without
    checks maps to {})."""
    ids = list(version_ids)
    out: dict[int, dict[str, str]] = {i: {} for i in ids}
    if ids:
        t = VERSION_CHECKS
        for vid, verdicts in conn.execute(select(t.c.version_id, t.c.verdicts).where(t.c.version_id.in_(ids))):
            out[int(vid)] = json.loads(verdicts) if verdicts else {}
    return out


__all__ = [
    "VERSION_CELLS",
    "VERSION_CHECKS",
    "CellTuple",
    "decode",
    "decode_checks",
    "encode",
    "encode_checks",
    "read",
    "read_checks",
    "read_verdicts",
    "rows",
]
