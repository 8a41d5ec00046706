"""Open a trace walks through a real architecture (a torchvision ResNet-18, traced with its ops): a convolution's
stage shows feature-map images, a block opens into its convolutions and its residual add, the breadcrumbs lead
back up, the tree opens what a row names and a search finds modules by type, every stage's caption gives the
record's real shape, and the call table can be filtered."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from app_helpers import charts, plain, table

from pipeline.render.tables import fmt_shape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the real architectures
import real_traces


@pytest.fixture
def resnet(open_page, monkeypatch):
    """Open a trace with the ResNet-18 file uploaded."""
    file = io.BytesIO(real_traces.file_bytes("resnet18"))
    file.name = "resnet18.trace.zip"
    monkeypatch.setattr("streamlit.file_uploader", lambda *a, **k: file)
    at = open_page("open_trace")
    assert not at.exception and not at.error
    return at


def stage_titles(at) -> list[str]:
    return [s.split(". ", 1)[1] for s in table(at, 0)["Stage"]]


def buttons(at) -> dict[str, object]:
    return {b.key: b for b in at.button}


def test_a_convolution_is_feature_maps_and_a_block_opens_into_its_parts(resnet) -> None:
    at = resnet
    doc = real_traces.document("resnet18")
    assert stage_titles(at) == [s.title for s in doc.stages]
    picture = charts(at)[1]  # under the data flow: the first stage's own picture, 16 images of channels
    assert [t["type"] for t in picture["data"]] == ["heatmap"] * 16 and picture["data"][0]["name"].startswith("channel")
    caption = next(c.value for c in at.caption if plain(c.value).startswith("Shape: "))
    assert "Shape: 1 example × 64 channels × 32 rows × 32 columns." in plain(caption)
    assert "16 of the 64 channels of the first example" in plain(caption)
    for _ in range(4):  # conv1, bn1, relu, maxpool, then the first block
        buttons(at)["open-trace-next"].click().run()
    assert "**Stage 5 of 15**" in [m.value for m in at.markdown]
    buttons(at)["open-trace-open"].click().run()
    assert not at.exception
    assert stage_titles(at) == ["conv1", "bn1", "relu", "conv2", "bn2", "add_()", "relu (call 2)"]
    assert [b.label for b in at.button if b.key.startswith("crumb-")] == ["ResNet", "layer1", "0"]
    assert len(charts(at)[0]["frames"]) == 7  # the data flow of the block's parts
    buttons(at)["crumb-0"].click().run()  # back to the model
    assert stage_titles(at) == [s.title for s in doc.stages]


def test_every_stage_caption_gives_the_records_real_shape(resnet) -> None:
    at = resnet
    doc = real_traces.document("resnet18")
    rows = table(at, 0)
    assert list(rows["Output shape"]) == [fmt_shape(s.record.output_shape) for s in doc.stages]
    for k, frame in enumerate(charts(at)[0]["frames"]):
        heading = frame["layout"]["annotations"][1]["text"]
        assert fmt_shape(doc.stages[k].record.output_shape) in heading, (k, heading)


def test_the_tree_opens_what_a_row_names_and_a_search_finds_by_type(resnet) -> None:
    at = resnet
    tree = at.dataframe[0].value
    assert list(tree["Module"][:2]) == ["▾ ResNet", "      conv1"] and "    ▸ layer1" in list(tree["Module"])
    assert tree["Parameters"][0] == "11,689,512" and tree["Output"][1] == "1 × 64 × 32 × 32"
    at.text_input(key="open-trace-find").input("BasicBlock").run()
    found = at.dataframe[0].value
    assert list(found["Module"]) == [f"        ▸ layer{i}.{j}" for i in range(1, 5) for j in range(2)]
    # a click on the row of layer2.0 (AppTest cannot click a dataframe's row: the selection it would make)
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [], "columns": [], "cells": [[2, "Module"]]}}
    at.run()
    assert not at.exception and stage_titles(at)[:3] == ["conv1", "bn1", "relu"]
    assert [b.label for b in at.button if b.key.startswith("crumb-")] == ["ResNet", "layer2", "0"]


def test_the_call_table_keeps_whole_names_and_can_be_filtered(resnet) -> None:
    at = resnet
    calls = at.dataframe[1].value
    assert len(calls) == 85 and "layer4.1.downsample" not in " ".join(calls["Call"])
    assert any(c.strip() == "layer4.1.conv2" for c in calls["Call"])
    at.text_input(key="open-trace-calls-filter").input("add_").run()
    assert [c.strip() for c in at.dataframe[1].value["Call"]] == [f"layer{i}.{j}.add_()" for i in range(1, 5)
                                                                   for j in range(2)]
