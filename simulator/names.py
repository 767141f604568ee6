"""Name pools for fictional counties, departments and townships.

Names are built from syllables so a large world has many distinct counties without a data file;
they look like real place names (and may by chance coincide with one), which is what the parser sees.
"""

from __future__ import annotations

import random

# (province, 2-digit code, prefecture-level cities) — province codes are the real GB/T 2260 prefixes.
PROVINCES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "trs": ("重庆市", "50", ("重庆市",)),
    "trs_alt": ("江西省", "36", ("宜春市", "九江市", "赣州市")),
    "hanweb": ("浙江省", "33", ("温州市", "丽水市", "衢州市")),
    "gkmlpt": ("广东省", "44", ("湛江市", "韶关市", "梅州市")),
    "anhui": ("安徽省", "34", ("宣城市", "池州市", "六安市")),
    "jiangsu": ("江苏省", "32", ("淮安市", "盐城市", "宿迁市")),
    "generic": ("河南省", "41", ("南阳市", "周口市", "信阳市")),
    "generic_alt": ("四川省", "51", ("乐山市", "攀枝花市", "绵阳市")),
}

_FIRST = "清安平永宁和丰泰兴隆长乐福寿临江河阳东西南北新武文德庆昌盛广元华合通化"
_SECOND = "河平安宁阳江城山乐丰源泉溪川兴远陵水台谷昌州林口"

DEPARTMENTS: tuple[str, ...] = (
    "发展和改革局", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局", "财政局",
    "人力资源和社会保障局", "自然资源局", "生态环境分局", "住房和城乡建设局", "交通运输局", "水利局",
    "农业农村局", "商务局", "文化和旅游局", "卫生健康局", "退役军人事务局", "应急管理局", "审计局",
    "市场监督管理局", "统计局", "医疗保障局", "林业局", "信访局", "行政审批服务局", "城市管理局",
    "乡村振兴局", "档案馆", "人民政府外事办公室", "机关事务服务中心", "公共资源交易中心",
)

_TOWN_FIRST = "城关新集石桥大庄王店李寨高坪白沙龙泉黄土马坊杨柳青山双河三里柏林花园金城"


def county_name(rng: random.Random, used: set[str]) -> str:
    """A fresh 'XX县' name (two syllables, unique within the world)."""
    for _ in range(1000):
        name = rng.choice(_FIRST) + rng.choice(_SECOND) + "县"
        if name not in used:
            used.add(name)
            return name
    # huge worlds: fall back to a numbered name, still unique
    name = f"{rng.choice(_FIRST)}{len(used)}县"
    used.add(name)
    return name


def township_names(rng: random.Random, n: int) -> list[str]:
    """n township-level units: mostly 镇, some 乡 and 街道 (full official names)."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        stem = "".join(rng.sample(_TOWN_FIRST, 2))
        if stem in seen:
            continue
        seen.add(stem)
        r = rng.random()
        if r < 0.6:
            out.append(f"{stem}镇人民政府")
        elif r < 0.85:
            out.append(f"{stem}乡人民政府")
        else:
            out.append(f"{stem}街道办事处")
    return out


def org_code(rng: random.Random) -> str:
    """An organisation code used as the 索引号 prefix: old 9-char form or an 18-char USCC."""
    if rng.random() < 0.5:
        digits = "".join(rng.choice("0123456789") for _ in range(8))
        return f"{digits}-{rng.choice('0123456789X')}"
    body = "".join(rng.choice("0123456789") for _ in range(16))
    return "11" + body[:15] + rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY")
