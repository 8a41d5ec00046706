"""Data-flow, call and epoch tables as the app, the terminal and exports show them."""

from __future__ import annotations

import math

import torch
from torch import nn

from pipeline.document.document import Stage
from pipeline.render import tables
from pipeline.render.tables import epoch_rows, flatten, fmt_shape, preview, stage_rows
from pipeline.trace import Record, RecordKind, trace
from pipeline.training.results import EpochResult


def test_shapes_and_previews_read_naturally() -> None:
    assert fmt_shape([1000, None, 50]) == "1,000 × ? × 50" and fmt_shape([]) == "scalar"
    assert preview([0.123, -1.0, 2, "x"], limit=3) == "[0.12, -1.00, 2, …]"
    assert preview(torch.tensor([[0.5, 1.5], [2.5, 3.5]]), limit=3) == "[0.50, 1.50, 2.50, …]"
    assert preview("a sentence") == "“a sentence”" and preview([]) == "—" and preview(None) == "—"
    assert flatten([[1, [2, 3]], 4]) == [1, 2, 3, 4]


def test_stage_rows_have_the_lesson_card_columns() -> None:
    record = Record("emb", RecordKind.MODULE, "Embedding", 0, "emb", 1, "Embedding(10 -> 4)",
                    sample=torch.full((2, 4), 0.5))
    stage = Stage("emb", "Embedding", "d", "Embedding(10 -> 4)", [8, 10], [8, 10, 4], record)
    assert stage_rows([stage]) == [{"Stage": "1. Embedding", "Input shape": "8 × 10",
                                    "Operation": "Embedding(10 -> 4)", "Output shape": "8 × 10 × 4",
                                    "Example values": "[0.50, 0.50, 0.50, 0.50, 0.50, 0.50, …]"}]


def test_call_rows_list_every_call_indented_with_parameters_and_statistics() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    with torch.no_grad(), trace(model) as t:
        model(torch.ones(1, 2))
    rows = tables.call_rows(t)
    assert [r["Call"] for r in rows] == ["Sequential", "  0", "  1"]
    assert rows[1]["Parameters"] == "9" and rows[1]["Output"] == "Tensor[1, 3]" and "±" in rows[1]["Mean ± std"]


def test_epoch_rows_format_numbers_keep_extra_metrics_and_say_when_a_run_diverged() -> None:
    e = EpochResult(1, 0.91234, 0.5, 0.8, 0.625, {"sequence_accuracy": 0.25, "val_sequence_accuracy": 0.2,
                                                   "perplexity": 2.5}, "First pass.")
    assert epoch_rows([e])[0] == {"Epoch": "1", "Loss": "0.912", "Accuracy": "50.0%", "Val loss": "0.800",
                                  "Val accuracy": "62.5%", "Sequence accuracy": "25.0%",
                                  "Val sequence accuracy": "20.0%", "Perplexity": "2.500", "Observation": "First pass."}
    bad = epoch_rows([EpochResult(2, math.nan, 0.3, math.inf, 0.3)])[0]
    assert bad["Loss"] == "n/a (diverged)" and bad["Val loss"] == "n/a (diverged)"


def test_examples_rows_show_inputs_and_expected_outputs_as_words() -> None:
    rows = tables.examples_rows([("seven hundred and five", "7 0 5"), ("ten", "1 0"), ("one", "1")], n=2)
    assert rows == [{"Input": "seven hundred and five", "Expected output": "7 0 5"},
                    {"Input": "ten", "Expected output": "1 0"}]
    assert list(tables.frame([], ["Input", "Expected output"]).columns) == ["Input", "Expected output"]


def test_probe_rows_show_each_answer_after_every_epoch() -> None:
    history = [EpochResult(1, 1.0, 0.5, 1.0, 0.5, probes={"seven": "7 0", "good": {"pos": 0.8, "neg": 0.2}}),
               EpochResult(2, 1.0, 0.5, 1.0, 0.5, probes={"seven": "7", "good": {"pos": 0.3, "neg": 0.7}})]
    assert tables.probe_rows(history) == [{"Input": "seven", "After epoch 1": "7 0", "After epoch 2": "7"},
                                          {"Input": "good", "After epoch 1": "pos 80%", "After epoch 2": "neg 70%"}]
