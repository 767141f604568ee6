"""`nianbao serve`: a read-only web UI over a SQLite archive, built on Datasette.

Datasette runs in-process (``build_datasette`` returns the instance, which the tests drive
directly): the archive is added as a ReadOnlyDatabase (every connection ``mode=ro`` +
``query_only``), the full-text index as a second read-only database from a side file, and
nianbao's plugin adds the raw-capture route, provenance pages and the codebook.

Where the search index goes: beside the archive as ``<archive>.search.db`` when that directory is
writable, else in the user's cache directory (keyed by the archive's path). Never inside the
archive itself, which the UI must not write to (see storage.snapshot.build_search_index).
PostgreSQL archives are served from a SQLite snapshot (`nianbao snapshot`).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sys
from pathlib import Path
from typing import Any

from storage.archive import Archive, ArchiveError

TEMPLATES = Path(__file__).resolve().parent / "web" / "templates"
EXIT_CANNOT_RUN = 2


def archive_path(db: str | None) -> Path:
    """--db for serve: a SQLite file path or sqlite:/// URL (PostgreSQL: take a snapshot first)."""
    from storage import db as dbmod

    try:
        location = dbmod.resolve(db)
    except dbmod.DatabaseLocationError as exc:
        raise ArchiveError(str(exc)) from exc
    if not location.is_sqlite or location.sqlite_path is None:
        raise ArchiveError(
            f"`nianbao serve` needs a SQLite archive file, not {location.display()}; make one with "
            f"`nianbao snapshot --db {location.display()} --out snapshot.db` and serve that"
        )
    if not location.sqlite_path.is_file():
        raise ArchiveError(f"archive {location.sqlite_path} does not exist")
    return location.sqlite_path


def search_index_path(archive: Path) -> Path:
    if os.access(archive.parent, os.W_OK):
        return archive.with_name(archive.name + ".search.db")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nianbao"
    cache.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(str(archive).encode()).hexdigest()[:16]
    return cache / f"{archive.stem}-{digest}.search.db"


def prepare_search_index(path: Path) -> Path:
    """Check the archive opens read-only (schema, version) and (re)build its search side file."""
    from storage.snapshot import build_search_index

    target = search_index_path(path)
    with Archive.open(str(path), readonly=True) as archive:
        rebuilt = build_search_index(archive, target)
    if rebuilt:
        print(f"nianbao serve: built search index {target}", file=sys.stderr)
    return target


def _register_plugin() -> None:
    from datasette.plugins import pm

    from nianbao.web import plugin

    if pm.get_plugin("nianbao") is None:
        pm.register(plugin, name="nianbao")


def build_datasette(path: Path, search: Path | None) -> Any:
    """A Datasette instance over the archive at ``path`` (and the search side file, if any)."""
    from datasette.app import Datasette

    from nianbao.web.database import ReadOnlyDatabase
    from nianbao.web.metadata import ARCHIVE_DB, SEARCH_DB, build_metadata

    _register_plugin()
    ds = Datasette(
        files=[],
        metadata=build_metadata(search=search is not None),
        template_dir=str(TEMPLATES),
        settings={
            "default_page_size": 50,
            "sql_time_limit_ms": 5000,
            "facet_time_limit_ms": 1000,
            "allow_download": False,
            "suggest_facets": False,
        },
    )
    ds.remove_database("_memory")
    ds.add_database(ReadOnlyDatabase(ds, path), name=ARCHIVE_DB)
    if search is not None:
        ds.add_database(ReadOnlyDatabase(ds, search), name=SEARCH_DB)
    return ds


def run_serve_command(args: argparse.Namespace) -> int:
    import uvicorn

    path = archive_path(args.db)
    search = prepare_search_index(path)
    ds = build_datasette(path, search)
    asyncio.run(ds.invoke_startup())
    host = args.host
    if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("127."):
        print(f"nianbao serve: warning: listening on {host}, reachable from other machines", file=sys.stderr)
    print(f"nianbao serve: http://{host}:{args.port}/ (archive {path}, read-only; Ctrl-C to stop)", file=sys.stderr,
          flush=True)
    uvicorn.run(ds.app(), host=host, port=args.port, log_level="warning")
    return 0
