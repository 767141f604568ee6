"""Property: any valid cells, rendered in any variant, parse back to the same cells and verdicts."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tables_helpers import cell_values, expected_verdicts, got_verdicts, make_spec, page_bytes

from crawler.parsing import parse_document
from crawler.parsing.schema import keys_for
from simulator.render import HTML_VARIANTS

counts = st.one_of(st.none(), st.just(0), st.integers(min_value=0, max_value=50_000))
changes = st.one_of(st.none(), st.integers(min_value=-5_000, max_value=5_000))
wan = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=500),
    st.decimals(min_value=Decimal("0.00001"), max_value=Decimal("999"), places=5).map(float),
)
yuan = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=9_000_000),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2).map(float),
)


def strategy_for(key: str) -> st.SearchStrategy[int | float | None]:
    if key.endswith(".change"):
        return changes
    if key == "t2.art20_8.fees.amount":
        return wan
    if key == "t2.art20_9.procurement.amount":
        return yuan
    return counts


@st.composite
def reports(draw: st.DrawFn) -> tuple[str, str, dict[str, int | float | None]]:
    template = draw(st.sampled_from(["v2019", "v2021"]))
    variant = draw(st.sampled_from(HTML_VARIANTS))
    cells = {k: draw(strategy_for(k)) for k in keys_for(template)}
    return template, variant, cells


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports(), st.integers(min_value=0, max_value=10_000))
def test_render_parse_round_trip(report: tuple[str, str, dict[str, int | float | None]], n: int) -> None:
    template, variant, cells = report
    spec = make_spec(template, cells, n)
    result = parse_document(
        page_bytes(spec, variant), f"http://127.0.0.1/p{n}.html", {"content-type": "text/html"}
    )
    assert result.status == "ok", result.message
    assert result.template == template
    assert cell_values(result) == cells
    assert got_verdicts(result) == expected_verdicts(cells, template)
