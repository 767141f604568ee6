"""Cell text -> number, exactly as cell-keys.yaml says (增318件 -> 318, 25.1万元 -> 251000, — -> None)."""

from __future__ import annotations


def parse_value(raw: str, key: str) -> int | float | None:
    """Normalise one cell's raw text for the canonical ``key``. Blank, -, —, /, 无, 不适用 -> None.

    Raises ValueError for text that is not a value (the mapper records it as a problem).
    """
    raise NotImplementedError
