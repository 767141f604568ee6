"""Narrative text of each section (一、总体情况 ... 六、其他需要报告的事项, or the pre-2019 ones)."""

from __future__ import annotations

from crawler.parsing.result import Template


def split_sections(text: str, template: Template) -> dict[str, str]:
    raise NotImplementedError
