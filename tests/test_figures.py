"""Figure builders: data in, go.Figure out -- checked on hand-built stages and views of every type."""

from __future__ import annotations

import math

import pytest
import torch

from pipeline.document import Stage
from pipeline.live import TrainingLog
from pipeline.render import animation, figures
from pipeline.trace import Record, RecordKind
from pipeline.train import EpochResult
from pipeline.views import (
    LAYER_TYPES,
    AttentionView,
    DecoderStep,
    DecoderStepsView,
    LSTMGatesView,
    Mark,
    MatrixView,
    Prediction,
    ProbabilitiesView,
    TextView,
    TokensView,
    VectorView,
    View,
)


def stage(key: str, shape: list[int | None], sample) -> Stage:
    record = Record(key, RecordKind.MODULE, "X", 0, key, 1, f"Op({key})", sample=sample)
    return Stage(key, key.title(), f"About {key} <b>.", f"Op({key})", [4, None], shape, record)


STAGES = [
    stage("text", [1000, None], "a <b>sentence</b>"),
    stage("ids", [1000, 10], torch.tensor([4, 8, 2, 0])),
    stage("embed", [1000, 10, 50], torch.tensor([0.5 * i - 2 for i in range(8)]).reshape(2, 4)),
    stage("states", [1000, 2, 3, 4], torch.full((2, 3, 4), 0.1)),
    stage("probs", [1000, 3], torch.tensor([0.2, 0.5, 0.3])),
]
SOURCE = ("<sos>", "the", "<b>cat</b>", "<eos>")
MARKS = (Mark.SOS, Mark.WORD, Mark.UNK, Mark.EOS)


def decoder(attention: bool = True) -> DecoderStepsView:
    steps = tuple(DecoderStep(step=i + 1, input=inp, hidden=(0.5, -0.25, 0.1), chosen=out,
                              top=((out, 0.8), ("un", 0.15), ("<unk>", 0.05)),
                              attention=(0.1, 0.7, 0.1, 0.1) if attention else None)
                  for i, (inp, out) in enumerate([("<sos>", "le"), ("le", "chat"), ("chat", "<eos>")]))
    return DecoderStepsView(key="decoder", title="Decoder", description="d", steps=steps, source=SOURCE)


def views() -> dict[str, View]:
    """One hand-built view of every type."""
    gates = tuple(tuple(0.1 * (t + u) for u in range(3)) for t in range(2))
    return {
        "text": TextView(key="t", title="T", description="d", text="<b>abc</b>"),
        "tokens": TokensView(key="source", title="Source", description="d", ids=(2, 5, 1, 3), tokens=SOURCE,
                             marks=MARKS),
        "matrix": MatrixView(key="states", title="States", description="d", values=((0.1, -0.2, 0.3),) * 4,
                             rows=SOURCE, row_marks=MARKS, col_title="hidden unit"),
        "vector": VectorView(key="context", title="Context", description="d", values=(0.4, -0.1, 0.2)),
        "probabilities": ProbabilitiesView(key="p", title="P", description="d", values=(0.2, 0.7, 0.1),
                                           labels=("neg", "<pos>", "neu")),
        "decoder_steps": decoder(),
        "decoder_step": decoder().screens()[1],
        "attention": AttentionView(key="attention", title="A", description="d", rows=("le", "chat"), cols=SOURCE,
                                   col_marks=MARKS, weights=(((0.1, 0.7, 0.1, 0.1), (0.25,) * 4),
                                                             ((1.0, 0, 0, 0), (0, 0, 0, 1.0)))),
        "lstm_gates": LSTMGatesView(key="lstm_gates", title="G", description="d", tokens=("not", "good"),
                                    marks=(Mark.WORD, Mark.WORD), i=gates, f=gates, g=gates, o=gates, c=gates,
                                    h=gates),
    }


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
    assert fig.layout.separators == ".," and "validation loss" in fig.data[3].hovertemplate


def test_a_diverged_run_draws_gaps_where_the_numbers_are_not_finite() -> None:
    history = [EpochResult(1, 1.0, 0.4, 1.1, 0.35), EpochResult(2, math.nan, 0.3, math.inf, 0.33)]
    fig = figures.training_curves(history)
    assert list(fig.data[0].y) == [1.0, None] and list(fig.data[1].y) == [1.1, None]
    assert fig.to_json()  # valid JSON: no NaN inside


def test_sample_matrix_reshapes_samples_for_heatmaps() -> None:
    assert animation.sample_matrix(torch.tensor([1, 2, 3])) == [[1, 2, 3]]
    assert animation.sample_matrix(torch.arange(6).reshape(2, 3)) == [[0, 1, 2], [3, 4, 5]]
    assert animation.sample_matrix(torch.arange(24).reshape(2, 3, 4))[5] == [20, 21, 22, 23]
    assert animation.sample_matrix("text") is None and animation.sample_matrix(torch.zeros(0)) is None


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
    assert heatmap.zmin == -2 and heatmap.zmax == 2  # symmetric: 0 is white
    assert frame.layout.xaxis2.range == (-0.5, 3.5) and frame.layout.yaxis2.range == (1.5, -0.5)
    assert len(fig.frames[3].data[-1].z) == 6  # a 3-D sample stacks its leading dimensions
    description = [a.text for a in frame.layout.annotations if a.text and a.text.startswith("<b>3.")]
    assert description and "1,000 × 10 × 50" in description[0] and "&lt;b&gt;" in description[0]
    box, batch = frame.data[2], frame.data[-2]
    assert batch.name == "batch" and batch.x[0] == pytest.approx((box.x[0] + box.x[1]) / 2)  # above stage 3
    ids = fig.frames[1].data[-1]
    assert [list(r) for r in ids.text] == [["4", "8", "2", "0"]]  # integer samples shown as integers


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


def test_tokens_figure_colours_and_marks_unknown_words_and_markers() -> None:
    fig = figures.layer_figure(views()["tokens"])
    heatmap = fig.data[0]
    kinds = list(figures.MARK_COLORS)
    assert list(heatmap.z[0]) == [kinds.index(m) for m in MARKS]
    assert heatmap.text[0][2] == "&lt;b&gt;cat&lt;/b&gt; ?<br><b>1</b>"  # escaped, with the unknown-word symbol
    assert "unknown word" in heatmap.customdata[0][2] and "id 1" in heatmap.customdata[0][2]
    assert names(fig)[1:] == ["▸ start marker (&lt;sos&gt;)", "known word", "? unknown word (&lt;unk&gt;)"]


def test_matrix_figure_scales_and_labels_rows_with_words_and_marks() -> None:
    fig = figures.layer_figure(views()["matrix"])
    states = fig.data[0]
    assert states.colorscale[0][1] == "rgb(5,48,97)" and states.zmin == -0.3 and states.zmax == 0.3  # diverging
    ticks = fig.layout.yaxis.ticktext
    assert ticks[1] == "2 · the" and "3 · &lt;b&gt;cat&lt;/b&gt; ?" in ticks[2]
    assert figures.MARK_COLORS[Mark.UNK] in ticks[2]
    assert fig.layout.xaxis.title.text == "hidden unit" and "hidden unit 2" in states.customdata[0][1]


def test_attention_figure_draws_a_heatmap_per_head_over_the_words() -> None:
    fig = figures.layer_figure(views()["attention"])
    assert names(fig) == ["head 1", "head 2"]
    assert [list(r) for r in fig.data[1].z] == [[1.0, 0, 0, 0], [0, 0, 0, 1.0]]
    assert fig.data[0].zmin == 0 and fig.data[0].zmax == 1
    ticks = list(fig.layout.xaxis.ticktext)
    assert ticks[2].startswith("<span") and "&lt;b&gt;cat" in ticks[2]
    assert "“le” looks at" in fig.data[0].customdata[0][1]


def test_vector_and_probability_figures() -> None:
    vector = figures.layer_figure(views()["vector"]).data[0]
    assert list(vector.y) == [0.4, -0.1, 0.2]
    assert list(vector.marker.color) == [figures.TRAIN, figures.VAL, figures.TRAIN]
    bars = figures.layer_figure(views()["probabilities"]).data[0]
    assert list(bars.y) == ["neg", "&lt;pos&gt;", "neu"] and list(bars.text) == ["20.0%", "70.0%", "10.0%"]
    assert list(bars.marker.color) == [figures.MUTED, figures.ACCENT, figures.MUTED]


def test_decoder_steps_overview_has_a_row_per_step_with_the_choice_in_bold() -> None:
    fig = figures.layer_figure(decoder())
    heatmap = fig.data[0]
    assert [list(r) for r in heatmap.z] == [[0.8, 0.15, 0.05]] * 3
    assert heatmap.text[1][0] == "<b>chat 80%</b>" and heatmap.text[1][1] == "un 15%"
    assert list(fig.layout.yaxis.ticktext) == ["1: &lt;sos&gt; → le", "2: le → chat", "3: chat → &lt;eos&gt;"]


@pytest.mark.parametrize("attention", [True, False])
def test_one_decoder_step_shows_top_k_attention_and_memory(attention: bool) -> None:
    fig = figures.layer_figure(decoder(attention).screens()[1])
    assert names(fig) == (["top choices", "attention", "hidden state"] if attention else
                          ["top choices", "hidden state"])
    top = fig.data[0]
    assert list(top.y) == ["chat", "un", "&lt;unk&gt;"] and list(top.x) == [0.8, 0.15, 0.05]
    assert list(top.marker.color) == [figures.ACCENT, figures.MUTED, figures.MUTED]
    if attention:
        assert list(fig.data[1].y) == [0.1, 0.7, 0.1, 0.1]
        assert list(fig.data[1].x)[2] == "3 &lt;b&gt;cat&lt;/b&gt;"


def test_lstm_gates_figure_aligns_six_heatmaps_over_the_words() -> None:
    fig = figures.layer_figure(views()["lstm_gates"])
    assert names(fig) == ["i", "f", "g", "o", "c", "h"]
    assert fig.data[0].zmin == 0 and fig.data[0].zmax == 1 and fig.data[2].zmin == -1
    assert list(fig.layout.yaxis.ticktext) == ["1 · not", "2 · good"]


def test_every_view_type_has_a_figure_or_is_text_and_an_unknown_type_is_refused() -> None:
    built = views()
    assert {type(v) for v in built.values()} == set(LAYER_TYPES)
    assert figures.layer_figure(built["text"]) is None
    for name, view in built.items():
        if name != "text":
            assert figures.layer_figure(view).data, name

    class Sparkles(View):
        pass

    with pytest.raises(TypeError, match="no figure is registered for Sparkles"):
        figures.layer_figure(Sparkles(key="s", title="S", description="d"))
    assert Prediction(text="x", output="y", confidence=1.0, layers=tuple(built.values())).screens()


def test_every_dataflow_frame_sets_its_cell_text_so_none_is_left_from_the_frame_before() -> None:
    fig = animation.dataflow_animation(STAGES)
    for frame in fig.frames:
        heatmap = frame.data[-1]
        assert heatmap.text is not None and heatmap.texttemplate is not None
    assert fig.frames[0].data[-1].texttemplate == "" and fig.frames[2].data[-1].texttemplate == "%{text}"


def test_probe_answers_are_drawn_per_sentence_with_a_line_per_class() -> None:
    history = [EpochResult(i, 1.0, 0.5, 1.0, 0.5, probes={"<b>good</b>": {"pos": 0.2 * i, "neg": 1 - 0.2 * i},
                                                         "bad": {"pos": 0.1, "neg": 0.9}}) for i in (1, 2, 3)]
    fig = figures.probes_figure(history)
    assert [t.name for t in fig.data] == ["pos", "neg", "pos", "neg"]
    assert list(fig.data[0].y) == pytest.approx([0.2, 0.4, 0.6])
    assert fig.layout.annotations[0].text.startswith("&lt;b&gt;")
    assert [t.showlegend for t in fig.data] == [True, True, False, False]
    decoded = [EpochResult(1, 1.0, 0.5, 1.0, 0.5, probes={"seven": "7 0"})]
    assert figures.probes_figure(decoded) is None and figures.probes_figure([]) is None
