"""A Datasette Database that can only ever open its SQLite file read-only.

Why not Datasette's own modes: an "immutable" database ignores the WAL, so while a crawl writes
(WAL mode, not yet checkpointed) the UI would show stale or even inconsistent pages; a "mutable"
database reads with ``mode=ro`` but Datasette still opens a read-WRITE connection for
``execute_write`` (used by plugins and writable canned queries). This subclass opens every
connection, the write one included, with ``mode=ro`` plus ``PRAGMA query_only``, so no code path in
the server can change the archive: SQLite itself refuses ("attempt to write a readonly database").

A WAL archive opened ``mode=ro`` needs its -shm file (or a writable directory to create it). When
neither is available (an archive on read-only media) the file is opened ``immutable=1`` instead,
which is exactly right for a file nobody can be writing to.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from pathlib import Path
from typing import Any

from datasette.database import Database


def needs_immutable(path: Path) -> bool:
    """True when SQLite cannot open the file mode=ro (WAL without -shm in a read-only directory)."""
    shm = Path(f"{path}-shm")
    return not shm.exists() and not os.access(path.parent, os.W_OK)


class ReadOnlyDatabase(Database):
    def __init__(self, ds: Any, path: Path) -> None:
        super().__init__(ds, path=str(path), is_mutable=True)
        self._ro_path = Path(path)
        self._immutable = needs_immutable(self._ro_path)

    def connect(self, write: bool = False) -> sqlite3.Connection:
        mode = "immutable=1" if self._immutable else "mode=ro"
        uri = f"file:{urllib.parse.quote(str(self._ro_path))}?{mode}"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        conn.execute("PRAGMA query_only = 1")
        self._all_file_connections.append(conn)
        return conn
