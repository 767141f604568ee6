"""Payload compression for content-addressed blobs.

The codec is recorded per blob, so the default can change later without rewriting old rows.
zstd level 6 was chosen from benchmarks/bench_codecs.py. On full-size report pages (measured,
best of 7, shared 2-core box): zstd-6 ratio 7.44, 151 MB/s compress, 1750 MB/s decompress;
zstd-10 7.51, 50 / 1450 MB/s; gzip-9 7.24, 37 / 450 MB/s. Level 10 buys 1 % ratio for 3x slower
compression (record_report throughput matters more). PDFs barely compress with any codec
(ratio 1.02); a blob whose compressed form is not smaller, or a tiny payload, is stored as
'identity'.
"""

from __future__ import annotations

import gzip
import hashlib
import threading

import zstandard

ZSTD_LEVEL = 6
GZIP_LEVEL = 9
MIN_COMPRESS_SIZE = 64  # below this, framing overhead eats any gain
CODECS = ("zstd", "gzip", "identity")

_local = threading.local()


def _zstd_compressor() -> zstandard.ZstdCompressor:
    # ZstdCompressor objects are not thread-safe; one per thread, reused (creating one costs ~µs-ms).
    comp = getattr(_local, "zc", None)
    if comp is None:
        comp = _local.zc = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_content_size=True)
    return comp


def _zstd_decompressor() -> zstandard.ZstdDecompressor:
    dec = getattr(_local, "zd", None)
    if dec is None:
        dec = _local.zd = zstandard.ZstdDecompressor()
    return dec


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def compress(data: bytes, codec: str = "zstd") -> tuple[str, bytes]:
    """Return (codec actually used, stored bytes). Falls back to 'identity' when it does not pay."""
    if codec == "identity" or len(data) < MIN_COMPRESS_SIZE:
        return "identity", data
    if codec == "zstd":
        packed = _zstd_compressor().compress(data)
    elif codec == "gzip":
        packed = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    else:
        raise ValueError(f"unknown codec {codec!r}")
    if len(packed) >= len(data):
        return "identity", data
    return codec, packed


def decompress(codec: str, stored: bytes) -> bytes:
    if codec == "identity":
        return bytes(stored)
    if codec == "zstd":
        return _zstd_decompressor().decompress(stored)
    if codec == "gzip":
        return gzip.decompress(stored)
    raise ValueError(f"unknown codec {codec!r}")
