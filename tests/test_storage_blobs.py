"""Blob codecs: every codec round-trips, the codec is recorded per blob, mixed codecs read back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage import blobs, writes
from storage.archive import Archive

PAYLOADS = [b"", b"x", "公开".encode() * 5000, bytes(range(256)) * 40, b"<html>" + b"a" * 100_000 + b"</html>"]


@pytest.mark.parametrize("codec", blobs.CODECS)
@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: f"{len(p)}B")
def test_round_trip(codec: str, payload: bytes) -> None:
    used, stored = blobs.compress(payload, codec)
    assert used in blobs.CODECS
    assert blobs.decompress(used, stored) == payload
    if len(payload) < blobs.MIN_COMPRESS_SIZE:
        assert used == "identity"
    if codec != "identity" and len(payload) > 10_000 and len(set(payload)) < 10:
        assert used == codec and len(stored) < len(payload) // 10


def test_incompressible_payload_stored_as_identity() -> None:
    import os

    noise = os.urandom(4096)
    assert blobs.compress(noise, "zstd") == ("identity", noise)


def test_unknown_codec_rejected() -> None:
    with pytest.raises(ValueError, match="unknown codec"):
        blobs.compress(b"a" * 100, "lz4")
    with pytest.raises(ValueError, match="unknown codec"):
        blobs.decompress("lz4", b"")


def test_codec_recorded_per_blob_and_mixed_codecs_read_back(migrated_db_url: str) -> None:
    gz = b"gzip payload " * 300
    zs = b"zstd payload " * 300
    with Archive.open(migrated_db_url) as a:
        with a._write() as conn:
            writes.put_blob(conn, gz, codec="gzip")
            writes.put_blob(conn, zs)
            writes.put_blob(conn, b"tiny")
        with a._read() as conn:
            rows = {r.sha256: r for r in conn.execute(select(writes.BLOBS))}
        assert rows[blobs.sha256_hex(gz)].codec == "gzip"
        assert rows[blobs.sha256_hex(zs)].codec == "zstd"
        assert rows[blobs.sha256_hex(b"tiny")].codec == "identity"
        for r in rows.values():
            assert r.stored_size == len(r.data)
        assert rows[blobs.sha256_hex(zs)].size == len(zs)
        assert a.read_blob(blobs.sha256_hex(gz)) == gz
        assert a.read_blob(blobs.sha256_hex(zs)) == zs
        assert a.read_blob(blobs.sha256_hex(b"tiny")) == b"tiny"
