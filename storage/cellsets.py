"""A version's cells as ONE JSON document: how the archive stores cells (table ``version_cells``).

Why not a row per cell: a report has ~200 cells, and each row costs a heap tuple, a primary-key
index entry and a foreign-key check. On PostgreSQL that was ~30 KB and ~2.5 ms of server CPU per
version, more than parsing the page; at millions of reports the rows would be the archive. One row
per version holding ``{"key": [value, raw], ...}`` (keys sorted, compact, UTF-8) costs one insert,
and PostgreSQL compresses it (TOAST).

Researchers lose nothing: the ``cells`` VIEW (storage.views) unpacks the documents into the same
``(version_id, key, value, raw)`` rows the table had, on SQLite (``json_each``) and PostgreSQL
(``json_each``) alike. Code that reads many versions (exports, re-parse diffs) decodes the
documents here instead, in C (``json.loads``).

A version without cells has no ``version_cells`` row. Values are finite floats or null: JSON has no
NaN/Infinity (a hostile 400-digit "number" would overflow to inf), so a non-finite value is stored
as null with its raw text kept.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select

from storage import models

VERSION_CELLS: Table = models.VersionCells.__table__  # type: ignore[assignment]

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


__all__ = ["VERSION_CELLS", "CellTuple", "decode", "encode", "read", "rows"]
