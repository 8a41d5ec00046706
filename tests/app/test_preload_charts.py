"""Plotly's code loads while a learner reads a page with no chart yet (``ui.widgets.preload_charts``).

The browser half (the chunk is fetched with no chart on the page, once) is in tests/e2e/test_e2e_figures.py."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from ui.widgets import plotly_chunk

PAGES = ["overview", "data_flow", "training", "prediction", "quiz", "compare", "open_trace", "class_session"]


def test_the_chunk_is_the_plotly_code_streamlit_ships_and_its_entry_script_is_where_the_loader_looks() -> None:
    static = resources.files("streamlit") / "static"
    chunk = plotly_chunk()
    assert chunk is not None and (static / "static" / "js" / chunk).is_file()
    assert "Plotly" in (static / "static" / "js" / chunk).read_text(encoding="utf-8")[-20_000:]
    # the loader resolves the chunk against the app's entry module script, found by this address
    entries = re.findall(r'<script type="module"[^>]* src="([^"]+)"', (static / "index.html").read_text())
    assert [e for e in entries if "/static/js/index." in e], entries


@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_the_loader_in_its_sidebar(open_page, page: str) -> None:
    at = open_page(page)
    loaders = [e.proto for e in at.sidebar.get("html") if e.proto.unsafe_allow_javascript]
    assert len(loaders) == 1, [e.proto.body[:60] for e in at.get("html")]
    assert json.dumps(plotly_chunk()) in loaders[0].body and "import(" in loaders[0].body
