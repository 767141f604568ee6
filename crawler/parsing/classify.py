"""Is this a 政府信息公开工作年度报告, a decoy, or a challenge page?"""

from __future__ import annotations

from collections.abc import Mapping


def challenge_reason(status: int, payload: bytes, headers: Mapping[str, str]) -> str | None:
    """A message when the response is an anti-bot challenge / block page (412 $_ts, 418, tiny shells)."""
    raise NotImplementedError


def is_report_title(title: str) -> bool:
    """True for every 年报 title variant of portals.md §3; False for decoys (网站年报, 解读, 制度, 指南...)."""
    raise NotImplementedError
