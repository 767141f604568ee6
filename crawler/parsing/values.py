"""Cell text -> number, exactly as cell-keys.yaml says (增318件 -> 318, 25.1万元 -> 251000, — -> None).

Arithmetic goes through :class:`decimal.Decimal` so "25.1万元" becomes exactly 251000 and "9.63211"
keeps its digits; integral results are returned as ``int``, others as ``float``.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

# Cell texts that mean "no number here" (never 0): blank, dashes, slash, 无, 不适用, ...
NULL_TOKENS = frozenset(
    {
        "",
        "-",
        "--",
        "—",
        "——",
        "–",
        "─",
        "/",
        "\\",
        "无",
        "不适用",
        "N/A",
        "NA",
        "n/a",
        "空",
        "×",
        "x",
        "X",
        "null",
    }
)

_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?|\d*\.\d+"
_COUNT_UNITS = "件条项个次宗份人家起批"
_COUNT_RE = re.compile(rf"^({_NUMBER})[{_COUNT_UNITS}]?$")
_CHANGE_RE = re.compile(rf"^(增加|增|减少|减|\+|-)?({_NUMBER})[{_COUNT_UNITS}]?$")
_MONEY_RE = re.compile(rf"^({_NUMBER})(万元|万|元)?$")


def _clean(raw: str) -> str:
    """NFKC (full-width digits, ＋－，．), no whitespace (incl. &nbsp;), unify dashes."""
    text = unicodedata.normalize("NFKC", raw)
    text = re.sub(r"\s+", "", text)
    return text.replace("−", "-").replace("﹣", "-")


def _number(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regexes only pass digits
        raise ValueError(f"not a number: {text!r}") from exc


def _out(d: Decimal) -> int | float:
    if d == d.to_integral_value():
        return int(d)
    return float(d)


def parse_value(raw: str, key: str) -> int | float | None:
    """Normalise one cell's raw text for the canonical ``key``. Blank, -, —, /, 无, 不适用 -> None.

    Raises ValueError for text that is not a value (the mapper records it as a problem).
    """
    kind = _kind(key)
    try:
        return _parse(raw, kind)
    except ValueError as exc:
        raise ValueError(f"{exc} for {key}: {raw!r}") from None


@lru_cache(maxsize=1024)
def _kind(key: str) -> str:
    col = key.rsplit(".", 1)[-1]
    if key.startswith("t2.") and col == "change":
        return "change"
    if key.startswith("t2.") and col == "amount":
        return (
            "wan" if key.startswith("t2.art20_8.") else "yuan"
        )  # 2021 收费金额 in 万元; 2019 采购总金额 in 元
    return "count"


@lru_cache(maxsize=16384)
def _parse(raw: str, kind: str) -> int | float | None:
    text = _clean(raw)
    if text in NULL_TOKENS:
        return None
    if kind == "change":
        m = _CHANGE_RE.match(text)
        if not m:
            raise ValueError("not a signed count")
        sign, num = m.groups()
        d = _number(num)
        return _out(-d if sign in ("减", "减少", "-") else d)
    if kind in ("wan", "yuan"):
        m = _MONEY_RE.match(text)
        if not m:
            raise ValueError("not an amount")
        num, unit = m.groups()
        d = _number(num)
        if kind == "wan" and unit == "元":
            d = d / 10000
        elif kind == "yuan" and unit in ("万元", "万"):
            d = d * 10000
        return _out(d)
    m = _COUNT_RE.match(text)
    if not m:
        raise ValueError("not a count")
    return _out(_number(m.group(1)))


@lru_cache(maxsize=16384)
def looks_like_value(raw: str) -> bool:
    """True when ``raw`` is a number or a null token (used to tell value cells from label cells)."""
    if len(raw) > 40:
        return False
    text = _clean(raw)
    if text in NULL_TOKENS:
        return True
    return bool(_CHANGE_RE.match(text) or _MONEY_RE.match(text))
