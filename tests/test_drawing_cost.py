"""The data flow costs what its stages warrant: its JSON grows linearly with them, stage assignment looks each key
up once, a frame reads only the values it shows, and frames reach the browser exactly as Plotly would send them.
A model that calls more modules itself than a document holds gets runs of calls as its stages."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest
import torch
from hostile_files import stages
from torch import nn

from pipeline.document.document import Stage, top_level_stages
from pipeline.document.filechecks import MAX_STAGES
from pipeline.document.fileformat import loads
from pipeline.document.pictures import MAX_DRAWN_COLUMNS, MAX_DRAWN_ROWS, record_view
from pipeline.document.views import View
from pipeline.examples import EXAMPLES
from pipeline.render import animation
from pipeline.render.animation import MAX_BOXES, dataflow_animation
from pipeline.render.flowframes import assign_stages
from pipeline.trace import Record, RecordKind, TensorSpec, trace


def spec(n: int) -> dict:
    return json.loads(dataflow_animation(loads(stages(n)).stages).to_json())


def test_the_data_flows_json_grows_linearly_with_the_stages():
    """Every frame drew a box for every stage: 1,000 stages made 96 MB of JSON."""
    small, large = (len(json.dumps(spec(n))) for n in (30, 300))
    assert large < 12 * small  # ten times the stages: about ten times the JSON (quadratic: a hundred)
    for frame in spec(200)["frames"]:
        assert len(frame["data"][0]["x"]) == MAX_BOXES


def test_each_frame_shows_the_current_stage_among_its_boxes():
    fig = spec(100)
    for k, frame in enumerate(fig["frames"]):
        boxes = frame["data"][0]
        assert k in boxes["x"] and boxes["marker"]["color"][boxes["x"].index(k)] == animation.ACCENT
        low, high = frame["layout"]["xaxis"]["range"]
        assert low < k < high and high - low == MAX_BOXES
    assert "xaxis" not in spec(MAX_BOXES)["frames"][0]["layout"]  # a few stages: every box, as before


class Counted(str):
    """A key that counts how often it is compared."""

    compared = 0

    def __eq__(self, other: object) -> bool:
        Counted.compared += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_stage_assignment_looks_each_key_up_once():
    """It compared every view's key with every stage's key: 1,000 stages, a million comparisons."""
    keys = [Counted(f"stage{i}") for i in range(2_000)]
    Counted.compared = 0
    assert assign_stages(views(f"stage{i}" for i in range(2_000)), keys) == list(range(2_000))
    assert Counted.compared <= 4 * len(keys)
    assert assign_stages(views(["encoder_states", "attention_1", "decoder"]), ["embedding", "encoder", "decoder"]) \
        == [1, 2, 2]


def views(keys) -> list[View]:
    return [View(key=k, title=k, description="") for k in keys]


def test_a_frame_reads_only_the_values_it_shows():
    record = Record("big", RecordKind.MODULE, "X", 0, "big", 1, "X", sample=torch.zeros(1_000, 1_000),
                    outputs=TensorSpec((1, 1_000, 1_000), "float32"))
    view = record_view(record, "big", "Big", "d")
    assert len(view.values) == MAX_DRAWN_ROWS and len(view.values[0]) == MAX_DRAWN_COLUMNS


@pytest.mark.parametrize("source", ["digits-cnn", "tiny-transformer", "many stages"])
def test_frames_reach_the_browser_as_plotly_would_send_them(source):
    raw = stages(60) if source == "many stages" else EXAMPLES[source].path.read_bytes()
    fig = dataflow_animation(loads(raw).stages)
    ours = json.loads(fig.to_json())
    validated = json.loads(go.Figure(fig.to_dict()).to_json())  # every frame through Plotly's validation
    assert ours["frames"] == validated["frames"]
    assert len(fig.frames) == len(ours["frames"])  # and fig.frames still reads them, validated


def test_a_model_calling_more_modules_than_a_document_holds_gets_runs_of_calls():
    class Long(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList(nn.Identity() for _ in range(2 * MAX_STAGES + 7))

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    model = Long()
    with torch.no_grad(), trace(model) as t:
        model(torch.randn(1, 2))
    found = top_level_stages(t)
    size = -(-(2 * MAX_STAGES + 7) // MAX_STAGES)  # 3 calls a stage
    assert len(found) <= MAX_STAGES and all(isinstance(s, Stage) for s in found)
    assert found[0].title == f"layers.0 … layers.{size - 1}" and found[0].record is t[f"layers.{size - 1}"]
    assert found[-1].record is t[f"layers.{2 * MAX_STAGES + 6}"]
