"""AppTest fixtures: fresh caches per test, the real navigation path, and a page opener."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the tests import ui.py as the app does (same module, same caches)
TIMEOUT = 120  # the first run imports torch and trains the default model


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def _navigation_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run pages the way a live server does: through app.py's st.navigation.

    AppTest resets ``PagesManager.uses_pages_directory`` before every run; because our pages live
    in ``pages/``, it is then set to True and the run takes Streamlit's legacy multipage path, which
    runs a page *without* app.py (no sidebar, no lesson picker). A live server leaves that path as
    soon as app.py calls ``st.navigation``; this fixture does the same for every AppTest run.
    """
    original = PagesManager.__init__

    def init(self: PagesManager, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture
def open_page() -> Callable[..., AppTest]:
    """``open_page("prediction")`` -> an AppTest that has run app.py and switched to pages/prediction.py."""

    def opener(page: str | None = None, lesson: str | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
        assert not at.exception, at.exception
        if lesson:
            at.selectbox(key="lesson").select(lesson).run()
        if page:
            at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, at.exception
        return at

    return opener
