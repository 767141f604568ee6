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


cell_html = st.tuples(
    st.sampled_from(["", "0", "12", "规章", "自然人", "a<br>b", "&nbsp;", "<p>x</p><p>y</p>"]),
    st.one_of(st.none(), st.integers(min_value=-3, max_value=12), st.just(10**9), st.just("x")),
    st.one_of(st.none(), st.integers(min_value=-3, max_value=12), st.just(10**9), st.just("2abc")),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(cell_html, min_size=0, max_size=8), min_size=1, max_size=8), st.integers(5, 400))
def test_any_table_gives_a_sane_bounded_grid(rows: list, budget: int) -> None:
    """Random spans (negative, zero, huge, junk): the grid is rectangular, origins are consistent."""
    import lxml.html

    from crawler.parsing.grid import grids_from_html

    def attr(name: str, v: object) -> str:
        return "" if v is None else f' {name}="{v}"'

    html = "<table>" + "".join(
        "<tr>" + "".join(f"<td{attr('rowspan', rs)}{attr('colspan', cs)}>{t}</td>" for t, rs, cs in row) + "</tr>"
        for row in rows
    ) + "</table>"  # fmt: skip
    grids = grids_from_html(
        lxml.html.fragment_fromstring(html, create_parent="div"), max_nesting=5, max_cells=budget
    )
    if budget < sum(len(r) for r in rows):  # every <td> takes at least one slot of the budget
        assert all(g.truncated for g in grids)
    for g in grids:
        width = g.n_cols
        assert width <= 8 * 100 and g.n_rows <= len(rows)
        for i, row in enumerate(g.rows):
            assert len(row) == width
            for j, cell in enumerate(row):
                r0, c0 = cell.origin
                assert r0 <= i and c0 <= j
                assert g.rows[r0][c0].origin == (r0, c0)
                assert g.rows[r0][c0].text == cell.text
