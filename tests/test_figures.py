"""Figure builders: data in, go.Figure out -- checked on hand-built stages and predictions of every kind."""

from __future__ import annotations

import pytest

from pipeline import animation, figures
from pipeline.lessons.base import Prediction, PredictionLayer, StageView
from pipeline.session import TrainingLog
from pipeline.train import EpochResult


def stage(key: str, shape: list[int | None], sample: list, sample_shape: list[int]) -> StageView:
    return StageView(key, key.title(), f"About {key} <b>.", f"Op({key})", [4, None], shape, sample, sample_shape, None)


STAGES = [
    stage("text", [1000, None], ["a <b>sentence</b>"], []),
    stage("ids", [1000, 10], [4, 8, 2, 0], [4]),
    stage("embed", [1000, 10, 50], [0.5 * i - 2 for i in range(8)], [2, 4]),
    stage("states", [1000, 2, 3, 4], [0.1] * 24, [2, 3, 4]),
    stage("probs", [1000, 3], [0.2, 0.5, 0.3], [3]),
]


def seq2seq_prediction(attention: bool = True) -> Prediction:
    """The layers the seq2seq lesson produces, built by hand."""
    source = ["<sos>", "the", "<b>cat</b>", "<eos>"]
    steps = [{"step": i + 1, "input": inp, "hidden": [0.5, -0.25, 0.1], "chosen": out,
              "top": [[out, 0.8], ["un", 0.15], ["<unk>", 0.05]],
              "attention": ([0.1, 0.7, 0.1, 0.1] if attention else None)}
             for i, (inp, out) in enumerate([("<sos>", "le"), ("le", "chat"), ("chat", "<eos>")])]
    layers = [
        PredictionLayer("source", "Source", "d", "tokens", [1, 4], [2, 5, 1, 3], source,
                        marks=["sos", "word", "unk", "eos"]),
        PredictionLayer("encoder_states", "States", "d", "matrix", [1, 4, 3], [[0.1, -0.2, 0.3]] * 4, source,
                        ["0", "1", "2"], ["sos", "word", "unk", "eos"]),
        PredictionLayer("context", "Context", "d", "vector", [1, 3], [0.4, -0.1, 0.2]),
        PredictionLayer("decoder", "Decoder", "d", "decoder_steps", [1, 3, 9], steps, col_labels=source),
    ]
    if attention:
        layers.append(PredictionLayer("attention", "Attention", "d", "matrix", [1, 3, 4],
                                      [s["attention"] for s in steps], ["le", "chat", "<eos>"], source))
    return Prediction("the cat", "le chat", 0.5, layers)


def epochs(n: int) -> list[EpochResult]:
    return [EpochResult(i, 1.0 / i, 0.5 + i / 20, 1.1 / i, 0.45 + i / 20, observation="ok") for i in range(1, n + 1)]


def names(fig) -> list[str]:
    return [t.name for t in fig.data]


def test_training_curves_show_train_and_validation_per_epoch_and_batches_faintly() -> None:
    log = TrainingLog(total_epochs=10, batch_x=[0.5, 1.0, 1.5], batch_loss=[2.0, 1.5, 1.2], batch_accuracy=[0.3] * 3)
    fig = figures.training_curves(epochs(3), log, total_epochs=10)
    assert names(fig) == ["training loss, each batch", "training accuracy, each batch", "training loss",
                          "validation loss", "training accuracy", "validation accuracy"]
    assert list(fig.data[3].y) == pytest.approx([1.1, 0.55, 1.1 / 3])
    assert fig.layout.xaxis.range == (0, 10.1)  # room to grow while training
    assert fig.layout.yaxis2.range == (0, 1.02) and fig.layout.yaxis2.tickformat == ".0%"
    assert names(figures.training_curves(epochs(2)))[0] == "training loss"


def test_sample_matrix_reshapes_samples_for_heatmaps() -> None:
    assert animation.sample_matrix([1, 2, 3], [3]) == [[1, 2, 3]]
    assert animation.sample_matrix(list(range(6)), [2, 3]) == [[0, 1, 2], [3, 4, 5]]
    assert animation.sample_matrix(list(range(24)), [2, 3, 4])[5] == [20, 21, 22, 23]
    assert animation.sample_matrix(["text"], []) is None and animation.sample_matrix([], [0]) is None
    with pytest.raises(ValueError, match="needs 6"):
        animation.sample_matrix([1, 2, 3], [2, 3])


def test_dataflow_animation_has_a_frame_per_stage_with_play_pause_and_slider() -> None:
    fig = animation.dataflow_animation(STAGES)
    assert [f.name for f in fig.frames] == ["0", "1", "2", "3", "4"]
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["▶ Play", "❚❚ Pause"]
    assert fig.layout.updatemenus[0].buttons[0].args[1]["frame"]["redraw"] is True
    assert [s.label for s in fig.layout.sliders[0].steps] == ["1", "2", "3", "4", "5"]
    # every frame replaces the same traces and the same number of annotations (none left behind)
    assert {len(f.data) for f in fig.frames} == {len(STAGES) + 4}
    assert len({len(f.layout.annotations) for f in fig.frames}) == 1


def test_dataflow_frames_highlight_the_current_stage_and_show_its_real_sample() -> None:
    fig = animation.dataflow_animation(STAGES)
    frame = fig.frames[2]
    fills = [t.fillcolor for t in frame.data[: len(STAGES)]]
    assert fills == [figures.DONE, figures.DONE, figures.ACCENT, figures.TODO, figures.TODO]
    heatmap = frame.data[-1]
    assert heatmap.visible is True and [list(r) for r in heatmap.z] == [[-2, -1.5, -1, -0.5], [0, 0.5, 1, 1.5]]
    assert heatmap.zmid is None and heatmap.zmin == -2 and heatmap.zmax == 2  # symmetric: 0 is white
    assert frame.layout.xaxis2.range == (-0.5, 3.5) and frame.layout.yaxis2.range == (1.5, -0.5)
    assert len(fig.frames[3].data[-1].z) == 6  # a 3-D sample stacks its leading dimensions
    description = [a.text for a in frame.layout.annotations if a.text and a.text.startswith("<b>3.")]
    assert description and "1,000 × 10 × 50" in description[0] and "&lt;b&gt;" in description[0]
    box, batch = frame.data[2], frame.data[-2]
    assert batch.name == "batch" and batch.x[0] == pytest.approx((box.x[0] + box.x[1]) / 2)  # above stage 3


def test_dataflow_text_stage_shows_the_text_escaped_instead_of_a_heatmap() -> None:
    frame = animation.dataflow_animation(STAGES).frames[0]
    assert frame.data[-1].visible is False and frame.layout.xaxis2.visible is False
    texts = [a.text for a in frame.layout.annotations]
    assert "a &lt;b&gt;sentence&lt;/b&gt;" in texts and not any("<b>sentence" in t for t in texts)


def test_dataflow_box_widths_grow_with_log_tensor_size() -> None:
    fig = animation.dataflow_animation(STAGES)
    widths = [max(t.x) - min(t.x) for t in fig.data[: len(STAGES)]]
    assert widths[2] > widths[1] > widths[4] > widths[0]  # 500k > 10k > 3k > 1k values
    with pytest.raises(ValueError, match="at least one stage"):
        animation.dataflow_animation([])


def test_tokens_figure_colours_unknown_padding_and_markers() -> None:
    fig = figures.layer_figure(seq2seq_prediction().layer("source"))
    heatmap = fig.data[0]
    assert list(heatmap.z[0]) == [3, 0, 1, 4]  # sos, word, unk, eos (eos drawn like sos)
    assert heatmap.text[0][2] == "&lt;b&gt;cat&lt;/b&gt;<br><b>1</b>"
    assert names(fig)[1:] == ["start / end marker", "known word", "unknown word (&lt;unk&gt;)"]


def test_matrix_figure_scales_and_labels_rows() -> None:
    prediction = seq2seq_prediction()
    states = figures.layer_figure(prediction.layer("encoder_states")).data[0]
    assert states.colorscale[0][1] == "rgb(5,48,97)" and states.zmin == -0.3 and states.zmax == 0.3  # diverging
    attention = figures.layer_figure(prediction.layer("attention"))
    assert attention.data[0].zmin == 0 and attention.data[0].zmax == 0.7  # weights: sequential from 0
    assert list(attention.layout.xaxis.ticktext) == ["&lt;sos&gt;", "the", "&lt;b&gt;cat&lt;/b&gt;", "&lt;eos&gt;"]
    ticks = figures.layer_figure(prediction.layer("encoder_states")).layout.yaxis.ticktext
    assert ticks[1] == "2 · the" and "3 · &lt;b&gt;cat" in ticks[2] and figures.MARK_COLORS["unk"] in ticks[2]


def test_vector_and_probability_figures() -> None:
    vector = figures.layer_figure(seq2seq_prediction().layer("context")).data[0]
    assert list(vector.marker.color) == [figures.TRAIN, figures.VAL, figures.TRAIN]
    probs = PredictionLayer("p", "P", "d", "probabilities", [1, 3], [0.2, 0.7, 0.1], ["neg", "<pos>", "neu"])
    bars = figures.layer_figure(probs).data[0]
    assert list(bars.y) == ["neg", "&lt;pos&gt;", "neu"] and list(bars.text) == ["20.0%", "70.0%", "10.0%"]
    assert list(bars.marker.color) == [figures.MUTED, figures.ACCENT, figures.MUTED]


def test_decoder_steps_overview_has_a_row_per_step_with_the_choice_in_bold() -> None:
    fig = figures.layer_figure(seq2seq_prediction().layer("decoder"))
    heatmap = fig.data[0]
    assert [list(r) for r in heatmap.z] == [[0.8, 0.15, 0.05]] * 3
    assert heatmap.text[1][0] == "<b>chat 80%</b>" and heatmap.text[1][1] == "un 15%"
    assert list(fig.layout.yaxis.ticktext) == ["1: &lt;sos&gt; → le", "2: le → chat", "3: chat → &lt;eos&gt;"]


@pytest.mark.parametrize("attention", [True, False])
def test_one_decoder_step_shows_top_k_attention_and_hidden_state(attention: bool) -> None:
    layer = seq2seq_prediction(attention).layer("decoder")
    fig = figures.decoder_step_figure(layer, 1)
    expected = ["top choices", "attention", "hidden state"] if attention else ["top choices", "hidden state"]
    assert names(fig) == expected
    top = fig.data[0]
    assert list(top.y) == ["chat", "un", "&lt;unk&gt;"] and list(top.x) == [0.8, 0.15, 0.05]
    assert list(top.marker.color) == [figures.ACCENT, figures.MUTED, figures.MUTED]
    if attention:
        assert list(fig.data[1].y) == [0.1, 0.7, 0.1, 0.1]
        assert list(fig.data[1].x)[2] == "3 &lt;b&gt;cat&lt;/b&gt;"


def test_layer_figure_dispatches_by_kind() -> None:
    text = PredictionLayer("t", "T", "d", "text", [1, 3], ["abc"])
    assert figures.layer_figure(text) is None
    odd = PredictionLayer("x", "X", "d", "sparkles", [1], [1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown layer kind 'sparkles'"):
        figures.layer_figure(odd)
    for layer in seq2seq_prediction().layers:
        assert figures.layer_figure(layer).to_json()
