"""Figure builders: data in, go.Figure out -- checked on hand-built stages and views of every type."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
import torch
from test_inside_pictures import panels, scores, space

from pipeline.document.document import Stage
from pipeline.document.views import (
    LAYER_TYPES,
    AttentionView,
    DecoderStep,
    DecoderStepsView,
    FeatureMapsView,
    ImageView,
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
from pipeline.render import animation, figures, flowframes
from pipeline.trace import Record, RecordKind
from pipeline.training.live import TrainingLog
from pipeline.training.results import EpochResult


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
        **inside_views(),
        "feature_maps": FeatureMapsView(key="conv", title="Conv", description="d", shape=(2, 4, 2, 3),
                                        values=(((0.0, 1.0, 0.5), (0.2, 0.0, 0.0)),) * 2, channels=(3, 0)),
        "image": ImageView(key="pixels", title="Pixels", description="d", shape=(1, 1, 2, 3),
                           values=(((0.0, 1.0, 0.5), (0.25, 0.0, 0.0)),), channels=(0,)),
    }


def inside_views() -> dict[str, View]:
    """One hand-built view of each kind the opened attention block and the words in space add."""
    return {"panels": panels(), "scores": scores(), "space": space()}


def epochs(n: int) -> list[EpochResult]:
    return [EpochResult(i, 1.0 / i, 0.5 + i / 20, 1.1 / i, 0.45 + i / 20, observation="ok") for i in range(1, n + 1)]


def names(fig) -> list[str]:
    return [t.name for t in fig.data]


def test_training_curves_show_train_and_validation_per_epoch_and_batches_faintly() -> None:
    log = TrainingLog(total_epochs=10, batch_x=[0.5, 1.0, 1.5], batch_loss=[2.0, 1.5, 1.2], batch_accuracy=[0.3] * 3)
    fig = figures.training_curves(epochs(3), log, total_epochs=10)
    assert names(fig) == ["training, each batch", "training, each batch", "training", "validation", "training",
                          "validation"]
    assert [t.showlegend for t in fig.data] == [True, False, True, True, False, False]  # each entry once
    assert list(fig.data[3].y) == pytest.approx([1.1, 0.55, 1.1 / 3])
    assert fig.layout.xaxis.range == (0, 10.1)  # room to grow while training
    assert fig.layout.yaxis2.range == (0, 1.02) and fig.layout.yaxis2.tickformat == ".0%"
    assert fig.layout.separators == ".," and "validation loss" in fig.data[3].hovertemplate
    # stacked, the legend above both panels (nothing else is there), each panel named by its own axis
    assert fig.layout.yaxis.domain[0] > fig.layout.yaxis2.domain[1] and fig.layout.legend.y >= 1
    assert fig.layout.yaxis.title.text.startswith("loss") and fig.layout.xaxis2.title.text == "epoch"


def test_a_diverged_run_draws_gaps_where_the_numbers_are_not_finite() -> None:
    history = [EpochResult(1, 1.0, 0.4, 1.1, 0.35), EpochResult(2, math.nan, 0.3, math.inf, 0.33)]
    fig = figures.training_curves(history)
    assert list(fig.data[0].y) == [1.0, None] and list(fig.data[1].y) == [1.1, None]
    assert fig.to_json()  # valid JSON: no NaN inside


# --- the data-flow animation ---------------------------------------------------------------------

WORDS = ("not", "<b>good</b>", "film", "<pad>")
WORD_MARKS = (Mark.WORD, Mark.UNK, Mark.WORD, Mark.PAD)
TOKENS = TokensView(key="ids", title="Ids", description="d", ids=(7, 1, 1234, 0), tokens=WORDS, marks=WORD_MARKS)
EMBED = MatrixView(key="embed", title="Embedding", description="d", values=((0.5, -0.5),) * 4, rows=WORDS,
                   row_marks=WORD_MARKS, shape=(1, 4, 2))
STATES = MatrixView(key="states", title="States", description="d", rows=WORDS, row_marks=WORD_MARKS,
                    values=tuple((0.1 * i, -0.1 * i) for i in range(1, 5)))
LAST = VectorView(key="lstm", title="LSTM", description="The state after the last word. More.", values=(0.3, -0.3))
PROBS = ProbabilitiesView(key="probs", title="Softmax", description="d", values=(0.25, 0.75),
                          labels=("negative", "<b>pos</b>"))
CLASSIFIER = (TextView(key="raw", title="Raw", description="d", text="not <b>good</b> film"), TOKENS, EMBED, STATES,
              views()["lstm_gates"], LAST, PROBS)


def flow(*layers: View, keys: tuple[str, ...] = ("raw", "ids", "embed", "lstm", "probs")):
    stages = [stage(k, [1000, 10], None) for k in keys]
    return animation.dataflow_animation(stages, Prediction(text="x", output="y", confidence=1.0, layers=layers))


def line(frame) -> str:
    """A frame's sentence, as read (its line breaks as spaces)."""
    return frame.layout.annotations[0].text.replace("<br>", " ")


def test_a_traced_stage_is_drawn_by_what_its_sample_holds() -> None:
    from pipeline.document.pictures import stage_view

    kinds = [type(stage_view(s)).__name__ for s in STAGES]
    assert kinds == ["TextView", "VectorView", "MatrixView", "FeatureMapsView", "ProbabilitiesView"]
    assert stage_view(STAGES[2]).shape == (1000, 10, 50)  # the real shape, not the sample's
    assert [list(r) for r in stage_view(STAGES[2]).values] == [[-2.0, -1.5, -1.0, -0.5], [0.0, 0.5, 1.0, 1.5]]


def test_views_go_to_the_stage_they_name_else_by_key_prefix_or_order() -> None:
    stages = ["raw", "ids", "embedding", "encoder", "decoder", "output"]
    keys = ["raw", "ids", "embedding", "encoder_states", "encoder", "attention_1", "block_1", "decoder_gates",
            "output", "extra"]
    plain = [View(key=k, title=k, description="") for k in keys]
    assert flowframes.assign_stages(plain, stages) == [0, 1, 2, 3, 3, 4, 4, 4, 5, 5]  # a run of unnamed: one stage
    named = [View(key=k, title=k, description="", stage="encoder" if k in ("attention_1", "block_1") else "")
             for k in keys]
    assert flowframes.assign_stages(named, stages) == [0, 1, 2, 3, 3, 3, 3, 4, 5, 5]  # the Transformer's block


def test_the_words_become_ids_then_embedding_rows_then_states_then_the_answer() -> None:
    fig = flow(*CLASSIFIER)
    lines = [line(f) for f in fig.frames]
    assert len(fig.frames) == 1 + 4 + 4 + 4 + 0 + 1 + 1  # text, 3 words + padding (x3), no gates, vector, answer
    assert lines[1] == "Word 1: “not” → id 7 (known word)."
    assert lines[2] == "Word 2: “&lt;b&gt;good&lt;/b&gt;” is not in the vocabulary → &lt;unk&gt;, id 1 " \
                       "(unknown word (&lt;unk&gt;))."
    assert "id 1,234" in lines[3] and lines[4].startswith("1 × &lt;pad&gt; → id 0")
    assert lines[5] == "“not” → id 7 → row 7 of the embedding table." and "row 1,234 of the" in lines[7]
    assert [len(f.data[3].z) for f in fig.frames[5:9]] == [1, 2, 3, 4]  # the rows appear one by one
    ticks = list(fig.frames[6].layout.yaxis2.ticktext)
    assert ticks[0] == "1 · not" and ticks[1].startswith("<b><span") and "2 · &lt;b&gt;good&lt;/… ?" in ticks[1]
    assert figures.MARK_COLORS[Mark.UNK] in ticks[1] and figures.MARK_COLORS[Mark.PAD] in ticks[3]
    assert "“film” (word 3 of 3) → row 3" in lines[11] and list(fig.frames[11].data[4].y) == [2.5, 2.5, 3.5, 3.5, 2.5]
    assert "It is row 3, the state after “film”." in lines[13]  # the vector is the LSTM's last real row
    answer = fig.frames[14]
    assert list(answer.layout.yaxis3.ticktext) == ["negative", "&lt;b&gt;pos&lt;/b&gt;"]  # class names, escaped
    assert list(answer.data[6].x) == [0.25, 0.75] and list(answer.data[7].text) == ["25%", "75%"]
    assert "2 numbers → 2 scores → probabilities. The answer: “&lt;b&gt;pos&lt;/b&gt;” (75.0%)" in lines[14]
    assert [list(r) for r in answer.data[3].z] == [[0.3, -0.3]]  # the vector the bars come from stays above them
    boxes = [f.data[0].marker.color for f in (fig.frames[0], fig.frames[9], answer)]
    assert [c.index(figures.ACCENT) for c in boxes] == [0, 3, 4]  # the current stage is highlighted


def test_every_frame_sets_the_same_traces_and_layout_keys_so_nothing_stays_from_the_frame_before() -> None:
    stages = [stage(k, [1000, 10], None) for k in ("source", "decoder")]
    seq2seq = animation.dataflow_animation(stages, Prediction(text="x", output="y", confidence=1.0,
                                                              layers=(views()["tokens"], decoder())))
    for fig in (flow(*CLASSIFIER), seq2seq, animation.dataflow_animation(STAGES)):
        first = fig.frames[0]
        for frame in fig.frames:
            assert list(frame.traces) == list(range(8))
            assert [(t.type, t.name, sorted(t.to_plotly_json())) for t in frame.data] == \
                   [(t.type, t.name, sorted(t.to_plotly_json())) for t in first.data]
            layout, before = frame.layout.to_plotly_json(), first.layout.to_plotly_json()
            assert {k: sorted(v) for k, v in layout.items() if k != "annotations"} == \
                   {k: sorted(v) for k, v in before.items() if k != "annotations"}
            assert len(layout["annotations"]) == 3
        assert fig.frames[-1].data[3].text is not None and fig.frames[-1].data[3].texttemplate is not None


def test_the_decoder_writes_a_token_per_frame_while_its_attention_lights_up() -> None:
    fig = flow(views()["tokens"], decoder(), keys=("source", "decoder"))
    steps = fig.frames[4:]  # after the 4 source tokens
    assert len(steps) == 3
    assert [f.layout.annotations[2].text.split(" · ")[0] for f in steps] == \
           ["Output so far: le", "Output so far: le chat", "Output so far: le chat &lt;eos&gt;"]
    assert line(steps[0]).startswith("The context seeds the decoder; with input “&lt;sos&gt;” → it writes “le”")
    assert line(steps[1]) == "Step 2: input “le” → it writes “chat” (80.0%). It looks most at “the” (70.0%)."
    attention = [list(r) for r in steps[1].data[3].z]  # rows: source words; columns: steps so far
    assert attention[1] == [0.7, 0.7, None]
    assert steps[1].layout.yaxis2.ticktext[0].endswith("&lt;sos&gt; ▸</span>")  # marked by symbol and colour
    assert list(steps[2].layout.yaxis3.ticktext) == ["&lt;eos&gt;", "un", "&lt;unk&gt;"]
    memory = flow(views()["tokens"], decoder(attention=False), keys=("source", "decoder")).frames[4:]
    assert [len(f.data[3].z) for f in memory] == [1, 2, 3]  # no attention: the memory fills in, a row per step


def test_attention_shows_each_heads_row_for_the_current_word() -> None:
    view = views()["attention"]
    fig = flow(view, keys=("attention",))
    assert len(fig.frames) == 2 and list(fig.frames[0].layout.xaxis2.ticktext) == ["head 1", "head 2"]
    z = [list(r) for r in fig.frames[1].data[3].z]  # "chat": one column per head, one row per word looked at
    assert z == [[0.25, 0], [0.25, 0], [0.25, 0], [0.25, 1.0]] and fig.frames[1].data[3].texttemplate == "%{z:.0%}"
    assert line(fig.frames[0]) == "“le” (word 1 of 2) looks at every word; each head's strongest pull: 1 → “the”, " \
                                  "2 → “&lt;sos&gt;”."


def test_a_plain_trace_gets_one_frame_per_stage_from_its_samples() -> None:
    fig = animation.dataflow_animation(STAGES)
    assert len(fig.frames) == len(STAGES) and fig.layout.separators == ".,"
    assert fig.frames[0].data[5].text[0] == "“a &lt;b&gt;sentence&lt;/b&gt;”"  # text: escaped, no heatmap
    assert fig.frames[0].data[3].visible is False and fig.frames[0].layout.xaxis2.visible is False
    ids = fig.frames[1]
    assert [list(r) for r in ids.data[3].z] == [[4, 8, 2, 0]]
    assert ids.data[3].texttemplate == "%{z:,.0f}"  # integers as 1,000 (with the figure's separators)
    assert line(ids) == "Ids: Op(ids) turns 4 × ? into 1,000 × 10."
    embed = fig.frames[2]
    assert [list(r) for r in embed.data[3].z] == [[-2, -1.5, -1, -0.5], [0, 0.5, 1, 1.5]]
    assert embed.data[3].zmin == -2 and embed.data[3].zmax == 2  # symmetric: 0 is white
    assert embed.layout.annotations[1].text == "Embed · 1,000 × 10 × 50"  # the stage's real shape, not the sample's
    # (N, C, H, W): its first example's 2 channels as two 3 x 4 images side by side, under the real shape
    assert [len(r) for r in fig.frames[3].data[3].z] == [9] * 3 and fig.frames[3].data[3].z[0][4] is None
    assert "1,000 × 2 × 3 × 4 · channels 0, 1" in fig.frames[3].layout.annotations[1].text
    for k, frame in enumerate(fig.frames):
        assert frame.data[0].marker.color[k] == figures.ACCENT


def test_the_animation_plays_in_the_browser_with_a_slider_per_frame() -> None:
    fig = flow(*CLASSIFIER)
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["▶ Play", "❚❚ Pause"]
    assert fig.layout.updatemenus[0].buttons[0].args[1]["frame"]["redraw"] is True
    steps = fig.layout.sliders[0].steps
    assert len(steps) == len(fig.frames) and steps[0].label == "1 of 5 · 1/15" and steps[-1].label == "5 of 5 · 15/15"
    assert fig.layout.sliders[0].currentvalue.prefix == "Stage "


def test_a_long_input_is_revealed_a_few_words_per_frame() -> None:
    words = tuple(f"w{i}" for i in range(30))
    tokens = TokensView(key="ids", title="Ids", description="d", ids=tuple(range(30)), tokens=words,
                        marks=(Mark.WORD,) * 30)
    embed = MatrixView(key="embed", title="E", description="d", values=((0.1,),) * 30, rows=words)
    fig = flow(tokens, embed)
    assert len(fig.frames) == 20 and line(fig.frames[0]) == "Words 1–3 become ids 0, 1, 2."


def test_escaping_and_refusals() -> None:
    page = json.dumps(json.loads(flow(*CLASSIFIER).to_json()), ensure_ascii=False)
    assert "<b>good" not in page and "<b>pos" not in page and "&lt;b&gt;good" in page

    class Sparkles(View):
        pass

    with pytest.raises(TypeError, match="no data-flow frames are registered for Sparkles"):
        flow(Sparkles(key="s", title="S", description="d"))
    with pytest.raises(ValueError, match="at least one stage"):
        animation.dataflow_animation([])


def test_tokens_figure_lists_each_position_with_its_id_and_marks_unknown_words_and_markers() -> None:
    fig = figures.layer_figure(views()["tokens"])
    heatmap = fig.data[0]
    kinds = list(figures.MARK_COLORS)
    assert [row[0] for row in heatmap.z] == [kinds.index(m) for m in MARKS]  # a row per position, by its mark
    assert [list(r) for r in heatmap.text] == [["&lt;sos&gt; ▸", "2 (start)"], ["the", "5"],
                                               ["&lt;b&gt;cat&lt;/b&gt; ?", "1 (unknown)"],
                                               ["&lt;eos&gt; ■", "3 (end)"]]
    assert "unknown word" in heatmap.customdata[2][0] and "id 1" in heatmap.customdata[2][0]
    assert "end marker (&lt;eos&gt;)" in heatmap.customdata[3][0]  # the end marker is called one, not a start
    assert [s.y0 + 0.5 for s in fig.layout.shapes] == [2]  # the unknown word, which the verdict names, is framed
    assert fig.layout.yaxis.ticktext[2] == "<b>▶ 3</b>"
    written = figures.layer_figure(replace(views()["tokens"], probs=(0.9, 0.6, 0.99, 0.97)))
    assert list(written.data[0].text[1]) == ["the", "5", "60.0%"]  # how sure, as the verdict writes it
    assert [s.y0 + 0.5 for s in written.layout.shapes] == [1]  # its least sure token


def test_matrix_figure_scales_and_labels_rows_with_words_and_marks_and_folds_padding() -> None:
    fig = figures.layer_figure(views()["matrix"])
    states = fig.data[0]
    assert states.colorscale[0][1] == "rgb(5,48,97)" and states.zmin == -0.3 and states.zmax == 0.3  # diverging
    assert states.showscale is not False and states.colorbar.title.text == "value"  # the colours have a scale
    ticks = fig.layout.yaxis.ticktext
    assert "2 · the" in ticks[1] and "3 · &lt;b&gt;cat&lt;/b&gt; ?" in ticks[2]
    assert figures.MARK_COLORS[Mark.UNK] in ticks[2]
    assert fig.layout.xaxis.title.text == "hidden unit" and "hidden unit 2" in states.customdata[0][1]
    padded = figures.layer_figure(replace(views()["matrix"], row_marks=(Mark.WORD, Mark.WORD, Mark.PAD, Mark.PAD)))
    assert len(padded.data[0].z) == 2 and len(padded.layout.yaxis.ticktext) == 2  # padding rows folded away
    moved = figures.layer_figure(replace(views()["matrix"], row_change=(1.0, 3.0, 2.0, 0.5)))
    assert "<b>▶ 2 · the</b>" in moved.layout.yaxis.ticktext[1] and [s.y0 + 0.5 for s in moved.layout.shapes] == [1]


def test_attention_figure_draws_a_heatmap_per_head_over_the_words() -> None:
    fig = figures.layer_figure(views()["attention"])
    assert names(fig) == ["head 1", "head 2"]
    assert [list(r) for r in fig.data[1].z] == [[1.0, 0, 0, 0], [0, 0, 0, 1.0]]
    assert fig.data[0].zmin == 0 and fig.data[0].zmax == 1
    ticks = list(fig.layout.xaxis.ticktext)  # the words looked at, named (escaped)
    assert ticks == ["&lt;sos&gt;", "the", "&lt;b&gt;cat&lt;/b&gt;", "&lt;eos&gt;"]
    hover = fig.data[0].customdata[0]
    assert "“le” looks at" in hover[1] and "“&lt;b&gt;cat&lt;/b&gt;”" in hover[2] and "70.0%" in hover[1]
    assert fig.data[0].texttemplate is None and fig.data[0].colorbar.title.text == "weight"
    assert fig.layout.yaxis.domain[0] > fig.layout.yaxis2.domain[1]  # stacked, never side by side
    assert {s.xref for s in fig.layout.shapes} == {"x", "x2"}  # what the verdict names, framed in every head


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
    assert heatmap.text[1][0] == "<b>chat 80.0%</b>" and heatmap.text[1][1] == "un 15.0%"
    assert list(fig.layout.yaxis.ticktext) == ["1: &lt;sos&gt; → le", "2: le → chat", "3: chat → &lt;eos&gt;"]


@pytest.mark.parametrize("attention", [True, False])
def test_one_decoder_step_shows_its_top_choices_and_attention_as_level_bars(attention: bool) -> None:
    fig = figures.layer_figure(decoder(attention).screens()[1])
    assert names(fig) == (["top choices", "attention"] if attention else ["top choices"])
    top = fig.data[0]
    assert list(top.y) == ["chat", "un", "&lt;unk&gt;"] and list(top.x) == [0.8, 0.15, 0.05]
    assert list(top.marker.color) == [figures.ACCENT, figures.MUTED, figures.MUTED]
    assert list(top.text) == ["80.0%", "15.0%", "5.0%"]
    if attention:  # the source words on the y axis, level (tilted under bars they ran into the next title)
        assert list(fig.data[1].x) == [0.1, 0.7, 0.1, 0.1] and fig.data[1].orientation == "h"
        assert list(fig.data[1].y)[2] == "3 · &lt;b&gt;cat&lt;/b&gt;"
        assert fig.data[1].marker.color[1] == figures.VAL  # the word the verdict names


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


def test_runs_overlay_draws_each_run_in_both_panels_named_literally() -> None:
    from pipeline.training.results import EpochResult

    def run(accuracies):
        return [EpochResult(k, 1 / k, a, 1.5 / k, a) for k, a in enumerate(accuracies, start=1)]

    fig = figures.runs_overlay([("Learning rate 0.01", run([0.5, 0.7])), ("<b>mine</b>.csv", run([0.4, 0.6, 0.8]))])
    assert [(t.name, t.xaxis, list(t.y)) for t in fig.data] == [
        ("Learning rate 0.01", "x", [1.5, 0.75]), ("Learning rate 0.01", "x2", [0.5, 0.7]),
        ("&lt;b&gt;mine&lt;/b&gt;.csv", "x", [1.5, 0.75, 0.5]), ("&lt;b&gt;mine&lt;/b&gt;.csv", "x2", [0.4, 0.6, 0.8])]
    assert [t.showlegend for t in fig.data] == [True, False, True, False]
    assert fig.data[0].line.dash != fig.data[2].line.dash  # not told apart by colour alone


def test_the_attention_reading_names_where_each_output_token_looked() -> None:
    from pipeline.render.describe import reading

    two = views()["attention"]
    assert reading(two) == "Where each output token looked most: “le” ← “the” (70.0%), “chat” ← “<sos>” (25.0%)."


def test_every_figure_says_its_width_is_automatic_on_streamlits_way_to_the_browser() -> None:
    """Streamlit keeps a chart with no width hidden until a second pass; ``"width": null`` (Plotly.js: fit the
    frame, as with no width) shows it as it is drawn. Checked on the path Streamlit takes: to_dict, then JSON."""
    import plotly.graph_objects as go
    import plotly.io as pio
    import plotly.tools

    from pipeline.app.compare import Side, accuracy_figure
    from pipeline.render.drawing import Figure, drawn_once, from_json

    built = [figures.layer_figure(v) for v in views().values() if not isinstance(v, TextView)]
    built += [figures.training_curves(epochs(3)), figures.runs_overlay([("a", epochs(2)), ("b", epochs(3))]),
              animation.dataflow_animation(STAGES),
              accuracy_figure([Side(slug="a", title="A", val_accuracy=(0.5, 0.6), params=10, seconds=1.0,
                                    val_size=10)])]
    built.append(from_json(json.loads(pio.to_json(built[0]))))
    for fig in built:
        assert isinstance(fig, Figure), type(fig)
        sent = json.loads(pio.to_json(plotly.tools.return_figure_from_figure_or_data(fig, True), validate=False))
        assert "width" in sent["layout"] and sent["layout"]["width"] is None, sent["layout"].get("width")
    fixed = figures.base(Figure(go.Bar(y=[1])), 300, width=640)
    assert json.loads(pio.to_json(fixed))["layout"]["width"] == 640  # a width set is kept
    with pytest.raises(TypeError, match=r"drawing\.Figure"):
        drawn_once(go.Figure(go.Bar(y=[1])))
