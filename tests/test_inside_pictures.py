"""The pictures inside the model, on hand-built views with exact expectations: the opened attention block's panels
and scores, the words in space, a highlighted word, a time-lapse played in the browser, and the verdicts that say
what changed most from one epoch to the next."""

from __future__ import annotations

import itertools
import json
import math

import pytest

from pipeline.document.views import AttentionView, LSTMGatesView, Mark, PanelsView, ScoresView, SpaceView
from pipeline.render import figures
from pipeline.render.describe import biggest_change, change, data_rows, drawn, epoch_verdicts, focus, reading

WORDS = ("not", "<b>good</b>", "film", "<pad>")
MARKS = (Mark.WORD, Mark.WORD, Mark.WORD, Mark.PAD)


def panels() -> PanelsView:
    """Queries, keys and values of 3 words and a pad, 2 heads of 2 numbers; “good”'s head-2 query is the longest."""
    q = ((0.1, 0.2, 0.3, 0.1), (0.0, 0.1, 3.0, 4.0), (1.0, 0.0, 0.0, 0.0), (9.0, 9.0, 9.0, 9.0))
    return PanelsView(key="qkv_1", title="Q, K, V", description="d", shape=(1, 2, 4, 2),
                      dims=("sentence", "head", "position", "number"), panels=("Q · queries", "K · keys", "V · values"),
                      values=(q, q, q), rows=WORDS, row_marks=MARKS, groups=2, col_title="number", point="queries")


def scores() -> ScoresView:
    """2 heads; the highest real score is head 2, “film” looking at “not”; the pad key masked."""
    grid = ((0.5, -1.0, 0.2, 7.0), (0.1, 0.3, -0.2, 7.0), (1.5, 0.0, 0.4, 7.0), (0.0, 0.0, 0.0, 0.0))
    other = tuple(tuple(v * 2 for v in row) for row in grid)
    return ScoresView(key="scores_1", title="Scores", description="d", scores=(grid, other),
                      masked=(False, False, False, True), rows=WORDS, cols=WORDS, row_marks=MARKS, col_marks=MARKS,
                      scale=2.0)


def space(epoch: int = 2, good: tuple[float, float] = (1.0, 1.0)) -> SpaceView:
    """Four words in a plane; the learner's “good” and “great” closest, “not” far from both."""
    return SpaceView(key="space", title="Words", description="d", words=("good", "great", "not", "the", "<i>x</i>"),
                     points=(good, (1.2, 1.1), (-2.0, -1.0), (0.0, 0.0), (3.0, -2.0)), marked=(0, 1, 2),
                     variance=(0.4, 0.2), epoch=epoch, vocabulary=9, bounds=(-2.0, 3.0, -2.0, 1.1))


def test_panels_draw_a_heatmap_per_panel_with_the_heads_split_and_the_longest_query_framed() -> None:
    view = panels()
    fig = figures.layer_figure(view)
    assert [t.name for t in fig.data] == ["Q · queries", "K · keys", "V · values"]
    assert len(fig.data[0].z) == 3  # the padding row folded away
    assert list(fig.layout.xaxis3.ticktext) == ["head 1", "head 2"] and fig.layout.xaxis.showticklabels is False
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [(s.x0, s.xref) for s in lines] == [(1.5, "x"), (1.5, "x2"), (1.5, "x3")]  # between the heads, each panel
    (frame,) = [s for s in fig.layout.shapes if s.type == "rect"]
    assert (frame.x0, frame.x1, frame.y0, frame.xref) == (1.5, 3.5, 0.5, "x")  # “good”, head 2, in the Q panel
    assert "<b>▶ 2 · &lt;b&gt;good&lt;/b&gt;</b>" in fig.layout.yaxis.ticktext[1]
    assert fig.data[0].zmid == 0 and fig.data[0].zmin == -fig.data[0].zmax
    assert reading(view).endswith("The longest query is “<b>good</b>”'s in head 2 (length 5.00): the longer a "
                                  "query, the sharper that word's attention.")
    assert focus(view).rows == (1,) and focus(view).cols == (2, 3)
    assert drawn(view) == ("Drawn: 3 panels, each 3 words (the 1 padding row left out) × 4 numbers, in 2 groups of 2 "
                           "(one per head); colours centred on 0.")
    assert data_rows(view)[1]["Q · queries: length"] == "5.00"  # √(0.01 + 9 + 16)


def test_the_mix_and_residual_verdicts_name_the_largest_share_and_the_biggest_change_for_its_size() -> None:
    weights = (((0.9, 0.1, 0.0, 0.0), (0.5, 0.5, 0.0, 0.0), (0.2, 0.2, 0.6, 0.0), (0.3, 0.3, 0.4, 0.0)),) * 2
    mix = PanelsView(key="mix_1", title="Mix", description="d", panels=("mix",), values=(((1.0,) * 4,) * 4,),
                     rows=WORDS, row_marks=MARKS, groups=2, point="mix", weights=weights)
    assert "“not” takes 90.0% of its head-1 mix from its own value, the largest share of any" in reading(mix)
    added = ((1.0, 0.0), (0.0, 0.5), (0.1, 0.0), (0.0, 0.0))
    total = ((2.0, 0.0), (0.0, 1.0), (0.2, 0.1), (0.0, 0.0))  # own vectors: (1, 0), (0, 0.5), (0.1, 0.1)
    residual = PanelsView(key="residual_1", title="R", description="d", panels=("a", "b", "c"),
                          values=(added, total, total), rows=WORDS, row_marks=MARKS, point="residual")
    assert "it changes “not” most for its size (it adds a vector 1.00 times" in reading(residual)
    assert focus(residual).rows == (0,) and focus(residual).head == 1  # framed in the residual sum's panel


def test_scores_draw_each_head_with_the_masked_keys_as_one_grey_column() -> None:
    view = scores()
    fig = figures.layer_figure(view)
    assert [t.name for t in fig.data] == ["head 1", "head 1 mask", "head 2", "head 2 mask"]
    assert [row[-1] for row in fig.data[0].z] == [None] * 3 and len(fig.data[0].z[0]) == 4  # 3 keys + the mask
    assert fig.data[1].text[0] == ["−∞"] and list(fig.layout.xaxis.ticktext)[-1] == "&lt;pad&gt; ×1"
    assert fig.data[0].zmin == -3.0 and fig.data[0].zmax == 3.0  # one scale for every head, unmasked cells only
    (frame,) = [s for s in fig.layout.shapes if s.type == "rect"]
    assert (frame.x0, frame.y0, frame.xref) == (-0.5, 1.5, "x2")  # head 2, “film” → “not”
    assert reading(view) == ("The highest score: “film” looking at “not” in head 2, +3.00 (q·k ÷ 2.00); the 1 padding "
                             "key is masked, so the softmax will give it exactly 0.")
    assert focus(view).cells == ((2, 0),) and focus(view).head == 1


def test_words_in_space_mark_the_learners_words_with_labels_that_never_touch() -> None:
    view = space()
    fig = figures.layer_figure(view)
    assert [t.name for t in fig.data] == ["the other words", "your words"]
    assert list(fig.data[1].customdata) == ["good", "great", "not"] and list(fig.data[0].customdata)[1] == \
        "&lt;i&gt;x&lt;/i&gt;"
    labels = sorted(a.ay for a in fig.layout.annotations)
    gap = figures.SPACE_LABEL_PX / (figures.SPACE_HEIGHT - 130) * (3.1 + 2 * 0.08 * 3.1)
    assert all(b - a >= gap - 1e-9 for a, b in itertools.pairwise(labels))  # one label height apart
    assert fig.layout.xaxis.range[0] == pytest.approx(-2.3) and fig.layout.yaxis.range[1] == pytest.approx(1.348)
    assert fig.layout.xaxis.title.text == "direction 1 · 40.0% of the variance"
    assert reading(view) == ("Of your words, “good” and “great” lie closest (0.22 apart) on the table's two main "
                             "directions (60.0% of its variance); “not” lies farthest from them.")
    assert drawn(view).startswith("Drawn: 5 words of the 9 (the most frequent) of the embedding table after epoch 2")


def test_label_rows_keep_their_order_and_stay_inside_the_plot() -> None:
    rows = figures._label_rows([1.0, 1.0, 0.99, -5.0], -1.0, 1.0, 0.1)
    assert rows[0] > rows[1] > rows[2] > rows[3] >= -1.0 and max(rows) <= 1.0
    squeezed = figures._label_rows([-1.0] * 4, -1.0, 1.0, 0.1)
    assert min(squeezed) == -1.0 and sorted(squeezed) == pytest.approx([-1.0, -0.9, -0.8, -0.7])


def test_highlighting_a_word_frames_its_row_and_column_in_every_head_and_nothing_else_changes() -> None:
    fig = figures.layer_figure(scores())
    lit = figures.highlight_word(fig, 2)
    marks = [s for s in lit.layout.shapes if s.name == "highlight"]
    assert [(s.xref, s.yref, s.y0, s.x0) for s in marks] == [
        ("x domain", "y", 1.5, 0), ("x", "y domain", 0, 1.5), ("x2 domain", "y2", 1.5, 0), ("x2", "y2 domain", 0, 1.5)]
    assert not [s for s in fig.layout.shapes if s.name == "highlight"]  # the kept figure is untouched
    rows_only = figures.highlight_word(figures.layer_figure(panels()), 0)
    assert {s.xref for s in rows_only.layout.shapes if s.name == "highlight"} == {"x domain", "x2 domain", "x3 domain"}
    assert "pipelineTraceHighlight" in figures.HIGHLIGHT_JS and figures.ROW_MARK in figures.HIGHLIGHT_JS


def gates(f_not: float, epoch_tokens=("the", "not", "good")) -> LSTMGatesView:
    rows = tuple((0.5, 0.5) for _ in epoch_tokens)
    f = tuple((f_not, f_not) if t == "not" else (0.6, 0.6) for t in epoch_tokens)
    return LSTMGatesView(key="lstm_gates", title="G", description="d", tokens=epoch_tokens, marks=(Mark.WORD,) * 3,
                         i=rows, f=f, g=rows, o=rows, c=rows, h=rows)


def test_each_epochs_verdict_names_what_changed_most_since_the_epoch_before() -> None:
    frames = [(1, gates(0.6)), (2, gates(0.55)), (3, gates(0.2)), (4, gates(0.25))]
    lines = epoch_verdicts(frames)
    assert lines[0].startswith("Epoch 1: ")
    assert lines[2] == "Epoch 3: the forget gate at “not” changed most (mean 0.55 → 0.20): it closes (clears memory) " \
                       "there."
    assert lines[3].endswith("(mean 0.20 → 0.25): it opens (keeps more memory) there.")
    k, moved = biggest_change(frames)
    assert k == 2 and moved.word == "not" and moved.size == pytest.approx(0.35)
    before = AttentionView(key="attention_1", title="A", description="d", rows=("a", "b", "c"), cols=("a", "b", "c"),
                           weights=(((0.5, 0.25, 0.25),) * 3,))
    after = AttentionView(key="attention_1", title="A", description="d", rows=("a", "b", "c"), cols=("a", "b", "c"),
                          weights=(((0.1, 0.8, 0.1),) * 3,))
    assert change(before, after).line == "“b” now draws more attention: 80.0% of each word's, from 25.0%."
    moved = change(space(1, good=(-1.0, -1.0)), space(2))
    assert moved.word == "good" and moved.line.startswith("“good” moved most (by 2.83), towards “great”")
    assert change(gates(0.5), gates(0.5, ("a", "b", "c"))) is None  # another input: nothing to compare


def test_a_time_lapse_plays_every_epoch_in_the_browser_with_a_slider_and_play() -> None:
    views = [space(e, good=(float(e), 1.0)) for e in (1, 2, 3)]
    fig = figures.timelapse_figure(views, [1, 2, 3])
    assert [f.name for f in fig.frames] == ["1", "2", "3"]
    assert [f.data[1].x[0] for f in fig.frames] == [1.0, 2.0, 3.0] and fig.data[1].x[0] == 3.0  # the last drawn
    assert [s.label for s in fig.layout.sliders[0].steps] == ["epoch 1", "epoch 2", "epoch 3"]
    assert fig.layout.sliders[0].active == 2 and fig.layout.updatemenus[0].buttons[0].label == "▶ Play"
    assert fig.frames[0].layout.annotations[0].x == 1.0  # the labels follow their words from frame to frame
    assert fig.layout.height == figures.SPACE_HEIGHT + figures.TIMELAPSE_CONTROLS_PX
    assert math.isfinite(fig.layout.margin.b)


def test_a_kept_figure_makes_its_dict_once_and_a_highlight_leaves_it_as_it_was() -> None:
    """``Figure.keep``: a figure shared by every session gives the same dict at every send, equal to the one it
    gave before it was kept; a highlighted copy of it is a new figure, and the kept dict does not change."""
    fig = figures.layer_figure(panels())
    before = json.loads(fig.to_json())
    assert fig.to_dict() is not fig.to_dict()  # not kept: a new dict each time
    fig.keep()
    spec = fig.to_dict()
    assert fig.to_dict() is spec and json.loads(fig.to_json()) == before
    lit = figures.highlight_word(fig, 1)
    assert len(lit.layout.shapes) > len(fig.layout.shapes)
    assert json.loads(fig.to_json()) == before and fig.to_dict() is spec


def test_a_kept_figure_is_sent_as_the_json_plotly_makes_of_it_made_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """``send_kept_json``: what ``st.plotly_chart`` sends for a kept figure (``plotly.io.to_json`` of its dict) is
    exactly what Plotly makes of the same figure unkept, and is not encoded again at the next send."""
    import plotly.io

    from pipeline.render import drawing

    original, encoded = plotly.io.to_json, []

    def plotlys_own(*args, **kwargs):
        encoded.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(plotly.io, "to_json", plotlys_own)  # Plotly's function, counted (put back after the test)
    drawing.send_kept_json()
    fig, twin = figures.layer_figure(panels()), figures.layer_figure(panels())
    expected = original(twin.to_dict(), validate=False)
    fig.keep()
    encoded.clear()
    sent = [plotly.io.to_json(fig.to_dict(), validate=False) for _ in range(3)]
    assert sent == [expected] * 3 and not encoded
    assert plotly.io.to_json(twin.to_dict(), validate=False) == expected and len(encoded) == 1  # unkept: Plotly's
    assert json.loads(plotly.io.to_json(fig.to_dict(), validate=False, pretty=True)) == json.loads(expected)
