"""Data-flow and epoch tables as the app and exports show them."""

from __future__ import annotations

from pipeline import tables
from pipeline.lessons.base import StageView
from pipeline.tables import epoch_table, flatten, fmt_shape, preview, stage_table
from pipeline.train import EpochResult


def test_shapes_and_previews_read_naturally() -> None:
    assert fmt_shape([1000, None, 50]) == "1,000 × ? × 50" and fmt_shape([]) == "scalar"
    assert preview([0.123, -1.0, 2, "x"], limit=3) == "[0.12, -1.00, 2, …]"
    assert preview(["a sentence"]) == "“a sentence”" and preview([]) == "—"
    assert flatten([[1, [2, 3]], 4]) == [1, 2, 3, 4]


def test_stage_table_has_the_lesson_card_columns() -> None:
    stage = StageView("emb", "Embedding", "d", "Embedding(10 -> 4)", [8, 10], [8, 10, 4], [0.5] * 8, [2, 4], None)
    table = stage_table([stage])
    assert table.to_dict("records") == [{"Stage": "1. Embedding", "Input shape": "8 × 10",
                                         "Operation": "Embedding(10 -> 4)", "Output shape": "8 × 10 × 4",
                                         "Example values": "[0.50, 0.50, 0.50, 0.50, 0.50, 0.50, …]"}]


def test_epoch_table_formats_numbers_and_keeps_extra_metrics() -> None:
    e = EpochResult(1, 0.91234, 0.5, 0.8, 0.625, {"sequence_accuracy": 0.25, "val_sequence_accuracy": 0.2,
                                                   "perplexity": 2.5}, "First pass.")
    row = epoch_table([e]).to_dict("records")[0]
    assert row == {"Epoch": 1, "Loss": "0.912", "Accuracy": "50.0%", "Val loss": "0.800", "Val accuracy": "62.5%",
                   "Sequence accuracy": "25.0%", "Val sequence accuracy": "20.0%", "Perplexity": "2.500",
                   "Observation": "First pass."}


def test_examples_table_shows_inputs_and_expected_outputs_as_words() -> None:
    frame = tables.examples_table([("seven hundred and five", "7 0 5"), ("ten", "1 0"), ("one", "1")], n=2)
    assert frame.to_dict("records") == [{"Input": "seven hundred and five", "Expected output": "7 0 5"},
                                        {"Input": "ten", "Expected output": "1 0"}]
    assert list(tables.examples_table([]).columns) == ["Input", "Expected output"]
