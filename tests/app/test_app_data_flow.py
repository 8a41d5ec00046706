"""Data-flow page: a Plotly animation with one frame per stage, play/pause and a slider."""

from __future__ import annotations

import pytest
from app_helpers import charts

import ui
from pipeline.render.animation import sample_matrix
from pipeline.render.tables import flatten


def test_data_flow_animates_the_real_stages(open_page) -> None:
    at = open_page("data_flow")
    stages = ui.default_run("sequence-classification").run.stages
    (fig,) = charts(at)

    assert [f["name"] for f in fig["frames"]] == [str(i) for i in range(len(stages))]
    buttons = fig["layout"]["updatemenus"][0]["buttons"]
    assert [b["label"] for b in buttons] == ["▶ Play", "❚❚ Pause"]
    assert len(fig["layout"]["sliders"][0]["steps"]) == len(stages)
    embedding = next(t for t in fig["frames"][2]["data"] if t.get("type") == "heatmap")
    expected = sample_matrix(stages[2].sample)
    assert len(embedding["z"]) == len(expected) == 10  # the whole first sentence: 10 positions x 50
    assert flatten(embedding["z"]) == pytest.approx(flatten(expected))
    described = [a["text"] for a in fig["frames"][2]["layout"]["annotations"] if "Embedding" in a.get("text", "")]
    assert described and "1,000 × 10 × 50" in described[0]
    assert any("Using the lesson's model" in c.value for c in at.caption)


def test_data_flow_renders_the_seq2seq_lesson_without_page_code(open_page) -> None:
    at = open_page("data_flow", lesson="seq2seq")
    (fig,) = charts(at)
    assert len(fig["frames"]) == 5  # the seq2seq lesson's stages, with no page code of its own
