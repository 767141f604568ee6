"""The two real seed reports and the real sample excerpts parse to the cells a reader sees in them.

Expected values were written by hand from reading each text (/work/shared/seeds, /work/shared/samples).
"""

from __future__ import annotations

import pytest
from shared_data import SEEDS
from tables_helpers import sample_text

from crawler.parsing import parse_document
from crawler.parsing.report import build_report
from crawler.parsing.result import Metadata, ParseResult
from crawler.parsing.schema import keys_for
from crawler.parsing.tables import detect_template

V2019 = keys_for("v2019")


def parse_text(text: str) -> ParseResult:
    return build_report(text=text, grids=[], metadata=Metadata(), source="text")


def values(result: ParseResult) -> dict[str, int | float | None]:
    return {k: c.value for k, c in result.cells.items()}


def seed(name: str) -> str:
    (path,) = SEEDS.glob(f"{name}_*.txt")
    return path.read_text(encoding="utf-8")


# seed 000: 2020 安化县城管执法局, one cell per line; table 二 has real numbers, 三/四 are all zero
SEED_000_T2 = {
    **{
        f"t2.art20_1.{r}.{c}": 0
        for r in ("regulations", "normative_docs")
        for c in ("made", "published", "total_public")
    },
    "t2.art20_5.licensing.prev_items": 60,
    "t2.art20_5.licensing.change": 318,  # 增318件
    "t2.art20_5.licensing.decisions": 378,
    **{f"t2.art20_5.other_services.{c}": 0 for c in ("prev_items", "change", "decisions")},
    "t2.art20_6.penalty.prev_items": 5,
    "t2.art20_6.penalty.change": -1,  # 减1件
    "t2.art20_6.penalty.decisions": 4,
    **{f"t2.art20_6.coercion.{c}": 0 for c in ("prev_items", "change", "decisions")},
    "t2.art20_8.fees.prev_items": 20,  # 20件
    "t2.art20_8.fees.change": 341,  # 增341件
    "t2.art20_9.procurement.items": 2,
    "t2.art20_9.procurement.amount": 970843,  # 970843元
}
# seed 004: 2019 双牌县政务服务中心, "|" rows; only 规章 has numbers (2, 2, 2)
SEED_004_T2 = {
    **{k: 0 for k in V2019 if k.startswith("t2.")},
    "t2.art20_1.regulations.made": 2,
    "t2.art20_1.regulations.published": 2,
    "t2.art20_1.regulations.total_public": 2,
}


@pytest.mark.parametrize(("name", "t2"), [("000", SEED_000_T2), ("004", SEED_004_T2)])
def test_seed_exact_cells(name: str, t2: dict[str, int]) -> None:
    expected = {**{k: 0 for k in V2019 if not k.startswith("t2.")}, **t2}
    assert set(expected) == set(V2019)
    result = parse_text(seed(name))
    assert result.template == "v2019"
    assert result.status == "ok", result.message
    assert values(result) == expected
    assert result.verdicts == {
        "t3_flow": "pass",
        "t3_row_total": "pass",
        "t3_result_sum": "pass",
        "t4_subtotals": "pass",
    }
    assert result.cells["t2.art20_5.licensing.change"].raw == ("增318件" if name == "000" else "0")


@pytest.mark.parametrize("name", ["000", "004"])
def test_seed_through_parse_document(name: str) -> None:
    payload = seed(name).encode()
    result = parse_document(
        payload, "http://127.0.0.1/seed.txt", {"content-type": "text/plain; charset=utf-8"}
    )
    assert result.is_report
    assert values(result) == values(parse_text(seed(name)))


def test_seed_000_typos_still_match() -> None:
    """ "1.属于国家机密" (for 秘密) and "另作制作" (for 另行制作) are typos on the real page."""
    text = seed("000")
    assert "1.属于国家机密" in text and "2.没有现成信息需要另作制作" in text
    result = parse_text(
        text.replace(
            "|\n0\n|\n0\n|\n0\n|\n0\n|\n0\n|\n0\n|\n0\n|\n2.其他法律",
            "|\n3\n|\n0\n|\n0\n|\n0\n|\n0\n|\n0\n|\n3\n|\n2.其他法律",
            1,
        )
    )
    assert result.cells["t3.deny_state_secret.natural_person"].value == 3
    assert result.verdicts["t3_result_sum"] == "fail"  # result_total still 0 -> the identity catches it


# ------------------------------------------------------------------------------------------------
# real sample excerpts (truncated pages: only what is visible is expected)

ZERO_T2_2019 = {k: 0 for k in V2019 if k.startswith("t2.")}
ZERO_T2_2021 = {k: 0 for k in keys_for("v2021") if k.startswith("t2.")}
T3_ZERO_ROW = {
    c: 0
    for c in (
        "natural_person",
        "commercial",
        "research",
        "social_welfare",
        "legal_service",
        "other_org",
        "total",
    )
}
T4_ZERO = {k: 0 for k in V2019 if k.startswith("t4.")}

SAMPLES: dict[str, tuple[str, dict[str, int | float | None]]] = {
    # 凤县 2020: table 二 (一) only; 规范性文件 2 / 2 / 9
    "04_": ("v2019", {
        "t2.art20_1.regulations.made": 0, "t2.art20_1.regulations.published": 0, "t2.art20_1.regulations.total_public": 0,
        "t2.art20_1.normative_docs.made": 2, "t2.art20_1.normative_docs.published": 2,
        "t2.art20_1.normative_docs.total_public": 9,
    }),
    # 德安园艺场 2020: (一) and 行政许可, all zero (cut inside 其他对外管理服务事项)
    "05_": ("v2019", {**{f"t2.art20_1.{r}.{c}": 0 for r in ("regulations", "normative_docs")
                         for c in ("made", "published", "total_public")},
                      **{f"t2.art20_5.licensing.{c}": 0 for c in ("prev_items", "change", "decisions")}}),
    # 微山两城镇 2020: full table 二 (header truncated "本年新 | 本年新"), 表三 rows 一 and 二
    "06_": ("v2019", {**ZERO_T2_2019, **{f"t3.{r}.{c}": 0 for r in ("new_received", "carried_over") for c in T3_ZERO_ROW}}),
    # 乐民镇 2021: one cell per paragraph; 行政处罚 1, fees 9.63211 万元
    "08_": ("v2021", {**ZERO_T2_2021, "t2.art20_6.penalty.decisions": 1, "t2.art20_8.fees.amount": 9.63211}),
    # 牛华镇 2021: table 二 all zero (values " 0" with a leading space)
    "09_": ("v2021", ZERO_T2_2021),
    # 周湾镇 2021: cut inside the first header -> template known, no cells
    "10_": ("v2021", {}),
    # 丰收乡 2022 in the 2019 format: table 二 zero, 表三 row 一 zero
    "12_": ("v2019", {**ZERO_T2_2019, **{f"t3.new_received.{c}": 0 for c in T3_ZERO_ROW}}),
    # 文登区信访局 2022 flipbook page 8: only table 四, 15 zeros after the broken header
    "19_": ("unknown", T4_ZERO),
    # 威海审计局 2020 flipbook page 9: last row of 表三 (7 zeros) + table 四 with vertical header characters
    "20_": ("unknown", {**{f"t3.carry_next.{c}": 0 for c in T3_ZERO_ROW}, **T4_ZERO}),
    # 武汉市生态环境局 2020 (Traditional mirror, Hubei annotations, extra row, "-" for 不适用)
    "24_": ("v2019", {
        "t2.art20_1.regulations.made": 0, "t2.art20_1.regulations.published": 0, "t2.art20_1.regulations.total_public": 0,
        "t2.art20_1.normative_docs.made": 2, "t2.art20_1.normative_docs.published": 2,
        "t2.art20_1.normative_docs.total_public": 19,
        "t2.art20_5.licensing.prev_items": 8, "t2.art20_5.licensing.change": 5, "t2.art20_5.licensing.decisions": 93,
        "t2.art20_5.other_services.prev_items": 117, "t2.art20_5.other_services.change": 0,
        "t2.art20_5.other_services.decisions": 165,
        "t2.art20_6.penalty.prev_items": 90, "t2.art20_6.penalty.change": 0, "t2.art20_6.penalty.decisions": 22,
        "t2.art20_6.coercion.prev_items": 4, "t2.art20_6.coercion.change": 4, "t2.art20_6.coercion.decisions": None,
        "t2.art20_8.fees.prev_items": None, "t2.art20_8.fees.change": None,
    }),
}  # fmt: skip


@pytest.mark.parametrize("prefix", sorted(SAMPLES))
def test_sample_cells(prefix: str) -> None:
    template, expected = SAMPLES[prefix]
    result = parse_text(sample_text(prefix))
    assert result.template == template
    assert values(result) == expected
    assert result.status == ("no_tables" if not expected else "partial")  # every excerpt is truncated


def test_sample_24_extra_row_and_annotations() -> None:
    result = parse_text(sample_text("24_"))
    assert result.cells["t2.art20_6.coercion.decisions"].raw == "-"
    assert not any("186" in c.raw for c in result.cells.values())  # 其他主動公開檔案 is not a canonical row


@pytest.mark.parametrize(
    ("prefix", "template"),
    [("02_", "unknown"), ("18_", "pre2019"), ("22_", "v2021"), ("13_", "unknown")],
)
def test_sample_templates(prefix: str, template: str) -> None:
    assert detect_template(sample_text(prefix)) == template


def test_pre2019_sample_is_ok_without_cells() -> None:
    result = parse_text(sample_text("18_"))
    assert result.status == "ok" and result.template == "pre2019" and not result.cells and not result.checks


def test_sample_24_through_the_entry_point_is_a_report_of_2020() -> None:
    """No title in the excerpt: the opening formula (現將我局2020年度…報告如下) plus 表二 is the evidence."""
    result = parse_document(sample_text("24_").encode("utf-8"), "https://example.invalid/24.txt")
    assert result.is_report, result.message
    assert result.metadata.year == 2020
    assert result.template == "v2019"
    assert values(result) == SAMPLES["24_"][1]
