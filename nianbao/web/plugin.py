"""Datasette hooks of the nianbao UI.

- ``/-/capture/<sha256>``: the archived bytes, decompressed, with the content type the portal sent
  and a sandboxing Content-Security-Policy, so archived pages render but their scripts never run,
  nothing loads from the portal, and the page cannot reach the UI's origin.
- ``/-/report/<version_id>``: provenance of one report version: the captures it was parsed from
  (URLs, fetch times, status, sha256), parser version and status, every cell with its raw text,
  every check instance, the sections, and the other versions of the same report.
- ``/-/codebook``: the codebook (cell keys with Chinese/English labels, units, format versions).
- ``asgi_wrapper``: every request other than GET/HEAD/OPTIONS is refused with 405.
- ``render_cell``: version ids link to provenance pages, sha256 columns to the archived original.

Only read-only SELECTs run here, through Datasette's read-only connections.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from crawler.parsing.schema import cell_keys
from storage.blobs import decompress
from storage.codebook import entries

CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
VERSION_LINK_TABLES = {
    "report_wide", "cell_values", "report_search", "cells", "version_cells", "checks", "version_checks",
    "sections",
    "report_version_captures",
}
SHA_COLUMNS = {"sha256", "capture"}
_LABELS: dict[str, tuple[str, str, str]] | None = None


def _labels() -> dict[str, tuple[str, str, str]]:
    global _LABELS
    if _LABELS is None:
        _LABELS = {k.key: (k.label_zh, k.label_en, k.unit) for k in cell_keys()}
    return _LABELS


def _config(datasette: Any) -> dict[str, Any]:
    return datasette.plugin_config("nianbao") or {"archive_database": "archive"}


def _archive(datasette: Any) -> Any:
    return datasette.get_database(_config(datasette)["archive_database"])


def _is_sha(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    archive_db = _config(datasette).get("archive_database")
    search_db = _config(datasette).get("search_database")
    if database not in (archive_db, search_db):
        return None
    if isinstance(value, dict) and "value" in value:  # an expanded foreign key (captures.sha256 -> blobs)
        value = value["value"]
    if column == "version_id" and table in VERSION_LINK_TABLES and isinstance(value, int):
        href = datasette.urls.path(f"/-/report/{value}")
        return Markup(f'<a class="nianbao-provenance" href="{href}">{value}</a>')
    if column == "title" and table in ("report_wide", "report_search") and isinstance(value, str):
        try:
            vid = int(row["version_id"])
        except (KeyError, IndexError, TypeError, ValueError):
            return None
        href = datasette.urls.path(f"/-/report/{vid}")
        return Markup(f'<a class="nianbao-report" href="{href}">{escape(value)}</a>')
    if column in SHA_COLUMNS and _is_sha(value):
        href = datasette.urls.path(f"/-/capture/{value}")
        return Markup(f'<a class="nianbao-capture" href="{href}" title="archived original">{value[:12]}…</a>')
    if table == "blobs" and column == "data":
        return Markup('<em>compressed payload: open it through the sha256 link</em>')
    return None


def _header(headers: Any, name: str) -> str | None:
    for pair in headers or []:
        if len(pair) == 2 and str(pair[0]).lower() == name:
            return str(pair[1])
    return None


async def capture_view(request: Any, datasette: Any) -> Response:
    sha = request.url_vars["sha256"]
    db = _archive(datasette)
    blob = (await db.execute("select codec, data from blobs where sha256 = ?", [sha])).first()
    if blob is None:
        return Response.text(f"no archived payload {sha}", status=404)
    cap = (
        await db.execute(
            "select content_type from captures where sha256 = ? order by fetched_at desc, id desc limit 1", [sha]
        )
    ).first()
    content_type = (cap["content_type"] if cap else None) or "application/octet-stream"
    body = decompress(blob["codec"], blob["data"])
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Resource-Policy": "same-origin",
        "X-Nianbao-Sha256": sha,
    }
    if request.args.get("download"):
        headers["Content-Disposition"] = f'attachment; filename="{sha}"'
    return Response(body, status=200, headers=headers, content_type=content_type)


async def report_view(request: Any, datasette: Any) -> Response:
    version_id = int(request.url_vars["version_id"])
    db = _archive(datasette)
    version = (
        await db.execute(
            """select v.*, r.year, r.id as rid, a.name as agency, a.kind as agency_kind, a.province, a.city,
                 a.county, a.region_code
               from report_versions v join reports r on r.id = v.report_id join agencies a on a.id = r.agency_id
               where v.id = ?""",
            [version_id],
        )
    ).first()
    if version is None:
        return Response.html(
            await datasette.render_template("error.html", {"error": f"no report version {version_id}",
                                                           "title": "Not found", "status": 404}, request=request),
            status=404,
        )
    captures = (
        await db.execute(
            """select c.id, c.url, c.final_url, c.status, c.method, c.fetched_at, c.content_type, c.sha256,
                 c.payload_size, c.portal, c.run_id, c.redirect_chain, c.detected_encoding, c.encoding_rule,
                 l.role, l.parsed_from
               from report_version_captures l join captures c on c.id = l.capture_id
               where l.version_id = ? order by l.parsed_from desc, c.fetched_at, c.id""",
            [version_id],
        )
    ).rows
    labels = _labels()
    cells = []
    for row in (await db.execute("select key, value, raw from cells where version_id = ? order by key",
                                  [version_id])).rows:
        zh, en, unit = labels.get(row["key"], ("", "", ""))
        cells.append({"key": row["key"], "value": row["value"], "raw": row["raw"], "label_zh": zh,
                      "label_en": en, "unit": unit})
    checks = (
        await db.execute(
            """select "check", instance, verdict, detail from checks where version_id = ?
               order by "check", instance = '*' desc, instance""",
            [version_id],
        )
    ).rows
    sections = (await db.execute("select key, text from sections where version_id = ? order by key",
                                 [version_id])).rows
    history = (
        await db.execute(
            """select id, version_no, is_current, created_at, superseded_at, parser_version, parse_status
               from report_versions where report_id = ? order by version_no""",
            [version["report_id"]],
        )
    ).rows
    context = {
        "v": dict(version),
        "captures": [dict(c) for c in captures],
        "cells": cells,
        "checks": [dict(c) for c in checks],
        "sections": [dict(s) for s in sections],
        "history": [dict(h) for h in history],
        "archive_database": _config(datasette)["archive_database"],
    }
    return Response.html(await datasette.render_template("nianbao_report.html", context, request=request))


async def codebook_view(request: Any, datasette: Any) -> Response:
    rows = list(entries())
    return Response.html(await datasette.render_template("nianbao_codebook.html", {"rows": rows}, request=request))


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [
        (r"^/-/capture/(?P<sha256>[0-9a-f]{64})$", capture_view),
        (r"^/-/report/(?P<version_id>[0-9]{1,12})$", report_view),
        (r"^/-/codebook$", codebook_view),
    ]


READ_METHODS = ("GET", "HEAD", "OPTIONS")


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """Refuse every method but GET/HEAD/OPTIONS before Datasette sees the request: the UI has no
    write endpoint (Datasette itself answers a POST to a table with a 500 "only canned queries")."""

    def wrap(app: Any) -> Any:
        async def read_only(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") == "http" and scope.get("method", "GET").upper() not in READ_METHODS:
                await send({
                    "type": "http.response.start",
                    "status": 405,
                    "headers": [(b"allow", b"GET, HEAD, OPTIONS"), (b"content-type", b"text/plain; charset=utf-8")],
                })
                await send({"type": "http.response.body", "body": b"read-only archive: only GET and HEAD requests\n"})
                return
            await app(scope, receive, send)

        return read_only

    return wrap


@hookimpl
def menu_links(datasette: Any, actor: Any, request: Any) -> list[dict[str, str]]:
    return [{"href": datasette.urls.path("/-/codebook"), "label": "Codebook"}]
