"""ui.table's Markdown tables: whatever a cell holds, it is shown as written, in its own cell.

Checked with a real CommonMark + GFM-tables parser (markdown-it-py), not by reading our own output back."""

from __future__ import annotations

import re
from html import unescape

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from ui.widgets import JOINER, markdown_table

MARKDOWN = MarkdownIt("commonmark").enable("table")
# Any text a learner or a data file could bring, bar NUL and lone surrogates (no browser keeps them either).
CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
TRICKY = ["https://x.org", "www.x.org", "a@b.org", ":material/error:", ":streamlit:",
          "a | b", "\\|", "\\", "x\\", "<b>bold</b>", "**not bold**", "$x^2$", ":red[red]", "1. a list?", "# heading",
          "line one\nline two", "`code`", "[link](http://x)", "&amp;", "- item", "---", "|", " padded ", "\u2028"]


def rendered(markdown: str) -> tuple[list[str], list[list[str]], str]:
    """(header cells, body rows of cells, the HTML) as a browser would be given them."""
    html = MARKDOWN.render(markdown)
    # what a reader sees: the word joiners that keep links and icons from forming (ui.widgets.JOINER) have no width
    text = lambda cell: unescape(re.sub(r"<[^>]+>", "", cell)).replace(JOINER, "").strip()  # noqa: E731
    header = [text(c) for c in re.findall(r"<th(?: [^>]*)?>(.*?)</th>", html, re.S)]
    rows = [[text(c) for c in re.findall(r"<td(?: [^>]*)?>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1], re.S)] if "<tbody>" in html else []
    return header, rows, html


def shown(value: str) -> str:
    """A cell as it should read: on one line (the spaces at its ends and word joiners, which no one sees, are not
    compared)."""
    return " ".join(value.splitlines()).replace(JOINER, "").strip()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.one_of(CELL, st.sampled_from(TRICKY)), min_size=3, max_size=3), max_size=4),
       st.lists(st.one_of(CELL, st.sampled_from(TRICKY)), min_size=3, max_size=3, unique=True))
def test_any_cell_reads_exactly_as_written_in_its_own_cell(rows: list[list[str]], names: list[str]) -> None:
    header, body, html = rendered(markdown_table([dict(zip(names, row, strict=True)) for row in rows], names))
    assert header == [shown(n) for n in names]
    assert body == [[shown(v) for v in row] for row in rows]
    assert not re.search(r"<(?!/?(table|thead|tbody|tr|th|td)\b)", html), html  # no bold, link, list, code...


def test_a_column_of_numbers_is_right_aligned_and_the_rest_are_not() -> None:
    rows = [{"Epoch": "1", "Loss": "0.964", "Accuracy": "52.8%", "Parameters": "1,234", "Note": "first"},
            {"Epoch": "2", "Loss": "—", "Accuracy": "74.5%", "Parameters": "-5", "Note": "2 epochs"}]
    rule = markdown_table(rows).splitlines()[1]
    assert rule == "|---:|---:|---:|---:|---|"


def test_cells_missing_from_a_row_are_empty_and_no_columns_give_no_table() -> None:
    header, body, _ = rendered(markdown_table([{"a": "1"}, {"b": None}]))
    assert header == ["a", "b"] and body == [["1", ""], ["", ""]]
    assert markdown_table([]) == "" and markdown_table([{}]) == ""
