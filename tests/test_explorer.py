"""Walking through a model without Streamlit: a call's parent and path, the tree opened down to a module, a
search by name or type, a module's parts as the stages (a residual block's convolutions and its add), and a
stage box's label."""

from __future__ import annotations

import torch
from torch import nn

from pipeline.document.document import stages_of, top_level_stages, trace_document
from pipeline.render import walkthrough
from pipeline.render.animation import box_label, dataflow_animation
from pipeline.trace import trace


class Block(nn.Module):
    """A residual block: two convolutions, a ReLU used twice, and the add."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 4, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv2(self.relu(self.conv1(x))) + x)  # (B, 4, H, W)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.blocks = nn.Sequential(Block(), Block())
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)).mean(dim=(2, 3)))  # (B, 2)


def traced():
    torch.manual_seed(0)
    model = Net().eval()
    with torch.no_grad(), trace(model, ops=True) as t:
        model(torch.randn(1, 1, 6, 6))
    return t


def test_a_call_knows_its_parent_and_its_path_even_a_module_called_twice() -> None:
    t = traced()
    second_relu = t["blocks.1.relu", 1]
    assert t.parent(second_relu) is t["blocks.1"] and t.parent(t.root) is None
    assert [r.label for r in t.path(second_relu)] == ["Net", "blocks", "blocks.1", "blocks.1.relu"]
    assert t.parent(t["blocks.0.add()"]) is t["blocks.0"]


def test_a_blocks_parts_become_the_stages_with_its_residual_add() -> None:
    t = traced()
    assert [s.title for s in top_level_stages(t)] == ["stem", "blocks.0", "blocks.1", "mean()", "head"]
    inner = stages_of(t, t["blocks.0"])
    assert [s.title for s in inner] == ["conv1", "relu", "conv2", "add()", "relu (call 2)"]
    assert [s.record for s in inner] == t.children(t["blocks.0"])
    assert stages_of(t, t["head"])[0].record is t["head"]  # a leaf is its own only stage


def test_the_tree_is_opened_down_to_the_current_module_and_folded_elsewhere() -> None:
    t = traced()
    rows = walkthrough.tree_table(walkthrough.tree_rows(t, t["blocks.0"]))
    assert [r["Module"] for r in rows] == ["▾ Net", "      stem", "    ▾ blocks", "        ▾ 0", "              conv1",
                                           "              relu", "              conv2", "              relu (call 2)",
                                           "        ▸ 1", "      head"]
    assert rows[3]["Calls inside"] == "5" and rows[4]["Parameters"] == "148" and rows[4]["Output"] == "1 × 4 × 6 × 6"
    assert [r["Module"] for r in walkthrough.tree_table(walkthrough.tree_rows(t, t.root))] == \
        ["▾ Net", "      stem", "    ▸ blocks", "      head"]


def test_a_search_finds_calls_by_name_or_type_and_choosing_one_opens_it_or_its_parent() -> None:
    t = traced()
    found = walkthrough.tree_rows(t, t.root, "BLOCKS.1.C")  # case ignored
    assert [r.record.label for r in found] == ["blocks.1.conv1", "blocks.1.conv2"] and found[0].label.endswith(
        "  blocks.1.conv1")  # a match is named in full
    assert [r.record.label for r in walkthrough.tree_rows(t, t.root, "conv2d")] == [
        "stem", "blocks.0.conv1", "blocks.0.conv2", "blocks.1.conv1", "blocks.1.conv2"]
    assert walkthrough.open_record(t, t["blocks.1"]) == (t["blocks.1"], None)
    module, key = walkthrough.open_record(t, t["blocks.1.conv2"])
    assert module is t["blocks.1"] and key == "blocks.1.conv2#0"
    doc = trace_document(t, "test")
    assert walkthrough.find_stage(walkthrough.stages_at(doc, module), key) == 2
    assert walkthrough.stages_at(doc, t.root) is doc.stages


def test_every_stage_box_is_labelled_with_its_name_and_a_short_type() -> None:
    t = traced()
    stages = stages_of(t, t["blocks.0"])
    assert [box_label(s) for s in stages] == ["conv1<br>Conv2d", "relu<br>ReLU", "conv2<br>Conv2d", "add()",
                                              "relu (call<br>2)"]
    fig = dataflow_animation(stages)
    assert list(fig.frames[0].data[0].text) == [box_label(s) for s in stages]
    long = stages[0].__class__("k", "features.1.0.attn.relative_position_bias_table", "", "", [], [], None)
    assert box_label(long) == "features.1.<br>0.attn.…"
