"""Overview page: the lesson card, live, for every lesson in the registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import charts, markdown_tables, table, table_with, trace

import ui
from pipeline.lessons import LESSONS, get_lesson

ROOT = Path(__file__).resolve().parents[2]

SLUG = "sequence-classification"


def test_overview_shows_the_lesson_card_from_the_cached_run(open_page) -> None:
    at = open_page()
    lesson, shared = get_lesson(SLUG), ui.default_run(SLUG)
    run = shared.run

    assert at.title[0].value == lesson.content.title
    epochs, examples, flow = (table_with(at, "Observation"), table_with(at, "Expected output"),
                              table_with(at, "Operation"))
    assert examples.to_dict("records")[0] == {"Input": run.examples[0][0], "Expected output": run.examples[0][1]}
    assert list(flow.columns) == ["Stage", "Input shape", "Operation", "Output shape", "Example values"]
    assert list(flow["Output shape"]) == ["1,000 × ?", "1,000 × 10", "1,000 × 10 × 50", "1,000 × 64", "1,000 × 3"]
    assert flow["Example values"][1].startswith("[") and "…" in flow["Example values"][2]
    assert len(epochs) == len(run.epochs) == 5
    assert list(epochs["Observation"]) == [e.observation for e in run.epochs]
    assert "First epoch" in epochs["Observation"][0] or epochs["Observation"][0]

    figures = charts(at)
    curves = figures[0]
    assert trace(curves, "training")["y"] == pytest.approx([e.loss for e in run.epochs])
    assert trace(curves, "validation", "y2")["y"] == pytest.approx([e.val_accuracy for e in run.epochs])
    assert len(figures) == 1  # the probes' chart is drawn when its expander is opened (a lighter first paint)
    at.session_state["overview-probes-open"] = True  # what the learner's click on it reports
    at.run()
    figures = charts(at)
    assert len(figures) == 2 and figures[1]["data"][0]["name"] == "negative"  # the probes: a line per class
    kept = ui.overview(SLUG)  # its charts validated once as figures, shared by every session's run of the page
    assert type(kept["curves"]).__name__ == "Figure" and ui.overview(SLUG)["curves"] is kept["curves"]
    probes = table_with(at, "After epoch 5")
    assert list(probes["Input"]) == list(lesson.probes)
    layers = table_with(at, "What it shows")
    assert list(layers["Layer"]) == [f"{i}. {v.title}" for i, v in enumerate(shared.prediction.layers, start=1)]
    assert layers["What it shows"].iloc[-1].startswith(f"The model answers “{shared.prediction.output}”")
    assert at.metric[0].value == shared.prediction.output
    assert at.success[0].value == lesson.content.key_insight


def test_the_default_run_is_trained_once_and_a_restarted_server_draws_the_card_without_the_model(
        open_page, monkeypatch, tmp_path) -> None:
    import streamlit as st

    from pipeline.runs import cache as run_cache

    lesson = get_lesson(SLUG)
    calls = []
    original = type(lesson).run
    monkeypatch.setattr(type(lesson), "run", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    monkeypatch.setenv("PIPELINE_TRACE_DATA", str(tmp_path))  # a new machine: nothing kept yet
    monkeypatch.setattr(run_cache, "_shared", None)
    first, second = open_page(), open_page()  # two sessions
    assert len(calls) == 1
    assert table(first, 0).equals(table(second, 0))
    st.cache_resource.clear()
    monkeypatch.setattr(run_cache, "_shared", None)  # a new server process, same disk
    third = open_page()
    assert len(calls) == 1 and table(third, 0).equals(table(first, 0))
    assert run_cache._shared is None  # the Overview was drawn from the kept numbers: no run, no model loaded


@pytest.mark.parametrize("slug", list(LESSONS))
def test_every_registered_lesson_has_an_overview(open_page, slug: str) -> None:
    at = open_page(lesson=slug)
    content = get_lesson(slug).content
    assert at.title[0].value == content.title
    examples = table_with(at, "Expected output")
    assert len(examples) == 6 and set(examples.columns) == {"Input", "Expected output"}
    assert len(table_with(at, "Operation")) == len(content.stages)
    assert at.success[0].value == content.key_insight
    assert len(charts(at)) >= 1 and table_with(at, "What it shows") is not None


def test_a_new_server_paints_the_overview_without_importing_torch(open_page, tmp_path) -> None:
    """The first page of a fresh server process, on a kept card, must not wait for torch (nor the class
    database, nor pandas and pyarrow for its tables): a subprocess runs app.py as a new server would and reports
    what it imported."""
    import os
    import subprocess
    import sys

    open_page()  # the kept card exists (this test process made or found it in the shared data folder)
    code = ("import sys\nfrom streamlit.testing.v1 import AppTest\n"
            f"at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=120).run()\n"
            "assert not at.exception, at.exception\n"
            "print(sorted(m for m in ('torch', 'sqlalchemy', 'pandas', 'pyarrow') if m in sys.modules), "
            "sum(m.value.startswith('| ') for m in at.markdown))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["[]", str(len(markdown_tables(open_page())))]
