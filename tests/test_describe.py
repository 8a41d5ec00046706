"""Verdicts: each stage's sentence states its point in the learner's words -- the answer and how sure, the word
that matters most, what changed -- never a bare range; the chart marks what the sentence names, and both write
their numbers the same way."""

from __future__ import annotations

import math
import re

import pytest

from pipeline.document.views import Mark, MatrixView, ProbabilitiesView, TokensView, VectorView
from pipeline.lessons import InputKind, all_lessons
from pipeline.render import figures
from pipeline.render.describe import drawn, fmt_dims, focus, reading
from pipeline.render.numbers import count, percent

INPUTS = {"sequence-classification": "the acting was not good but the plot was fine",
          "seq2seq": "seven hundred and sixty six",
          "transformer-classification": "the acting was not good but the plot was fine"}


@pytest.fixture(scope="module")
def predictions():
    found = {}
    for slug, lesson in all_lessons().items():
        run = lesson.run(lesson.settings_type(epochs=1, samples=300, seed=3))
        found[slug] = lesson.predict(run, INPUTS.get(slug) or run.examples[0][0])  # pictures: a held-out one
    return found


def test_the_answer_stage_names_the_answer_and_how_sure_as_its_chart_does(predictions) -> None:
    for slug, p in predictions.items():
        last = p.screens()[-1]
        verdict = reading(last)
        assert percent(p.confidence) in verdict, (slug, verdict)
        if isinstance(last, ProbabilitiesView):
            assert verdict.startswith(f"The model answers “{p.output}”, {percent(p.confidence)} sure")
            bar = figures.layer_figure(last).data[0]
            assert bar.text[last.best] == percent(p.confidence)  # the chart's label is the sentence's number
        else:  # seq2seq: the digits it wrote, then the end marker
            assert isinstance(last, TokensView) and verdict.startswith(f"It wrote “{p.output}”")
            assert "<eos>" in verdict and last.written == p.output


def test_no_verdict_is_a_bare_range_or_a_numbered_feature_and_each_names_a_word(predictions) -> None:
    for slug, p in predictions.items():
        for view in p.screens():
            verdict = reading(view)
            assert not re.search(r"from [-+]?\d[\d.]* to [-+]?\d", verdict), (slug, view.key, verdict)
            assert not re.search(r"(feature|unit|number) \d", verdict), (slug, view.key, verdict)
            if all_lessons()[slug].input_kind is InputKind.TEXT:  # it quotes a word of the input or of the answer
                assert "“" in verdict, (slug, view.key, verdict)
            else:  # a picture has no words: it names the answer, a place in the image, or the number that matters
                assert re.search(r"“|rows? \d|[+-]\d", verdict), (slug, view.key, verdict)


def test_the_word_a_verdict_names_is_the_one_its_chart_marks(predictions) -> None:
    block = next(v for v in predictions["transformer-classification"].layers if v.key == "block_1")
    row = focus(block).rows[0]
    assert row == max(range(len(block.row_change)), key=lambda r: block.row_change[r]
                      if block.row_marks[r] is not Mark.PAD else -1)
    assert reading(block).startswith(f"“{block.rows[row]}” changed most from the embedding")
    marked = [t for t in figures.layer_figure(block).layout.yaxis.ticktext if t.startswith("<b>▶")]
    assert marked == [f"<b>▶ {row + 1} · {block.rows[row]}</b>"]
    gates = next(v for v in predictions["sequence-classification"].layers if v.key == "lstm_gates")
    assert reading(gates).startswith(f"At “{gates.tokens[gates.forget_at]}” the forget gate is lowest")
    means = [sum(r) / len(r) for r in gates.f]
    assert gates.forget_at == min(range(1, len(means)), key=means.__getitem__)  # the first word has no memory
    assert figures.layer_figure(gates).layout.yaxis2.ticktext[gates.forget_at].startswith("<b>▶")


def test_the_embedding_verdict_names_the_most_alike_pair_of_words() -> None:
    rows = ("good", "great", "bad", "<pad>")
    view = MatrixView(key="e", title="E", description="d", values=((1.0, 0.1), (0.9, 0.2), (-1.0, 0.3), (0, 0)),
                      rows=rows, row_marks=(Mark.WORD,) * 3 + (Mark.PAD,))
    assert focus(view).rows == (0, 1)
    assert reading(view).startswith("Each word is now 2 numbers; “good” and “great” have the most alike vectors "
                                    "(cosine similarity 0.99")
    assert drawn(view) == "Drawn: 3 positions (the 1 padding row left out) × 2 features, colours from -1.00 to +1.00."


def test_a_vector_says_where_it_comes_from_and_a_shape_names_its_dimensions() -> None:
    vector = VectorView(key="v", title="V", description="d", values=(0.5,) * 64, shape=(1, 64),
                        dims=("sentence", "hidden unit"), origin="the memory after “good”, the last real word")
    assert reading(vector) == "The input is now one vector of 64 numbers: the memory after “good”, the last real word."
    assert fmt_dims(vector) == "1 sentence × 64 hidden units"
    assert count(3, "class") == "3 classes" and count(1, "word") == "1 word"


def test_numbers_are_written_one_way() -> None:
    assert [percent(p) for p in (0.9051, 0.0949, 0.0004, 0.0, 1.0, math.nan)] == \
        ["90.5%", "9.5%", "<0.1%", "0.0%", "100.0%", "n/a"]
