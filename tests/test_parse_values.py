"""parse_value: every value rule of cell-keys.yaml, and what is refused."""

from __future__ import annotations

import pytest

from crawler.parsing.values import looks_like_value, parse_value

CHANGE = "t2.art20_5.licensing.change"
AMOUNT_2019 = "t2.art20_9.procurement.amount"
FEES_2021 = "t2.art20_8.fees.amount"
COUNT = "t3.new_received.total"
T2_COUNT = "t2.art20_8.fees.prev_items"


@pytest.mark.parametrize(
    ("raw", "key", "expected"),
    [
        ("增318件", CHANGE, 318),
        ("减1件", CHANGE, -1),
        ("+12", CHANGE, 12),
        ("-8", CHANGE, -8),
        ("＋12", CHANGE, 12),
        ("－8", CHANGE, -8),
        ("增加5", CHANGE, 5),
        ("减少3项", CHANGE, -3),
        ("0", CHANGE, 0),
        ("251000元", AMOUNT_2019, 251000),
        ("25.1万元", AMOUNT_2019, 251000),
        ("970843元", AMOUNT_2019, 970843),
        ("1,234,500", AMOUNT_2019, 1234500),
        ("9.63211", FEES_2021, 9.63211),
        ("9.63211万元", FEES_2021, 9.63211),
        ("0", FEES_2021, 0),
        ("20件", T2_COUNT, 20),
        ("1,234", COUNT, 1234),
        ("１２３", COUNT, 123),
        (" 7 ", COUNT, 7),
        ("\xa05", COUNT, 5),
        ("12条", COUNT, 12),
    ],
)
def test_values_per_cell_keys_rules(raw: str, key: str, expected: int | float) -> None:
    got = parse_value(raw, key)
    assert got == expected
    assert type(got) is type(expected)


@pytest.mark.parametrize("raw", ["", "  ", "\xa0", "-", "—", "——", "/", "无", "不适用", "－"])
@pytest.mark.parametrize("key", [COUNT, CHANGE, AMOUNT_2019, FEES_2021])
def test_null_tokens_are_none_never_zero(raw: str, key: str) -> None:
    assert parse_value(raw, key) is None


def test_decimals_are_floats_and_ints_are_ints() -> None:
    assert isinstance(parse_value("3", FEES_2021), int)
    assert isinstance(parse_value("3.5", FEES_2021), float)
    assert parse_value("25.1万元", AMOUNT_2019) == 251000 and isinstance(
        parse_value("25.1万元", AMOUNT_2019), int
    )
    assert parse_value("0.5万元", AMOUNT_2019) == 5000


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("-8", COUNT),  # signed only for 本年增/减
        ("+3", COUNT),
        ("约20", COUNT),
        ("二十", COUNT),
        ("见附件", COUNT),
        ("增", CHANGE),
        ("12件元", AMOUNT_2019),
        ("1.2.3", COUNT),
    ],
)
def test_non_values_raise(raw: str, key: str) -> None:
    with pytest.raises(ValueError):
        parse_value(raw, key)


def test_looks_like_value_tells_numbers_from_labels() -> None:
    assert looks_like_value("0")
    assert looks_like_value("")
    assert looks_like_value("增318件")
    assert looks_like_value("25.1万元")
    assert not looks_like_value("规章")
    assert not looks_like_value("1.属于国家秘密")
    assert not looks_like_value("（七）总计")
