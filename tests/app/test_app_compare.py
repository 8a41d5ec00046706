"""Compare page: two lessons that read the same data, their curves and numbers in words, one sentence through
both; and the data-flow page's calls per stage (generic, shown here for the lesson with the most of them)."""

from __future__ import annotations

import pytest
from app_helpers import charts, plain, table, trace

import ui
from pipeline.app import compare
from pipeline.document.views import AttentionView, Mark, MatrixView
from pipeline.lessons import LESSONS

PAIR = compare.comparable(LESSONS)[:1] + compare.partners(LESSONS, compare.comparable(LESSONS)[0])[:1]


def test_the_page_compares_the_first_two_lessons_that_read_the_same_data(open_page) -> None:
    assert len(PAIR) == 2 and LESSONS[PAIR[0]].data_format == LESSONS[PAIR[1]].data_format is not None
    at = open_page("compare")
    assert [at.selectbox(key=k).value for k in ("compare-a", "compare-b")] == PAIR
    shared = [ui.default_run(slug) for slug in PAIR]
    titles = [LESSONS[slug].content.title for slug in PAIR]

    curves = charts(at)[0]
    for title, s in zip(titles, shared, strict=True):
        assert trace(curves, title)["y"] == pytest.approx([e.val_accuracy for e in s.run.epochs])
    rows = table(at).to_dict("records")
    assert [r["Lesson"] for r in rows] == titles
    assert [r["Parameters"] for r in rows] == [f"{s.run.trace.root.num_params:,}" for s in shared]
    assert [r["Training time"] for r in rows] == [f"{sum(e.seconds for e in s.run.epochs):.1f} s" for s in shared]

    reading = plain(next(m.value for m in at.markdown if m.value.startswith("- ")))
    finals = [s.run.epochs[-1].val_accuracy for s in shared]
    assert all(f"{title} at {a:.1%}" in reading or f"{title} ends at {a:.1%}" in reading
               for title, a in zip(titles, finals, strict=True))
    assert f"by {abs(finals[0] - finals[1]) * 100:.1f} percentage points" in reading or "neither" in reading
    assert at.text_input(key="compare-text").value == shared[0].prediction.text  # a held-out sentence
    assert [m.label for m in at.metric] == titles
    assert [m.value for m in at.metric] == [s.prediction.output for s in shared]
    views = [compare.context_layer(s.prediction) for s in shared]
    assert {type(v) for v in views} == {MatrixView, AttentionView}  # a recurrent state beside attention
    for figure, view in zip(charts(at)[1:], views, strict=True):
        if isinstance(view, AttentionView):  # one heatmap per head, the trace's weights over the real words
            assert [t["name"] for t in figure["data"]] == [f"head {h + 1}" for h in range(len(view.weights))]
            real = [i for i, m in enumerate(view.col_marks) if m is not Mark.PAD]
            assert figure["data"][0]["z"] == [[view.weights[0][r][c] for c in real] for r in real]
        else:
            assert figure["data"][0]["name"] == view.key
    readings = [plain(i.value) for i in at.info]
    assert any("look most at “" in r for r in readings) and any("change most on reading “" in r for r in readings)


@pytest.mark.parametrize(("text", "message"), [
    ("<b>x</b> **y** $z$", None),
    ("", "The text is empty"),
    ("a" * 10_001, "The text is 10,001 characters long"),
])
def test_the_sentence_box_takes_hostile_input(open_page, text: str, message: str | None) -> None:
    at = open_page("compare")
    at.text_input(key="compare-text").input(text).run()
    assert not at.exception, at.exception
    if message:
        assert message in plain(at.error[0].value) and not at.metric
        return
    assert len(at.metric) == 2 and not at.error
    shown = [w.value for w in at.warning]
    assert any("“<”, “b”, “>”" in plain(w) and "\\<" in w for w in shown)  # listed, and escaped as Markdown
    readings = [i.value for i in at.info]
    assert len(readings) == 2 and all(w == ui.escape_markdown(plain(w)) for w in shown + readings)  # all escaped


def test_data_flow_lists_the_calls_inside_every_stage(open_page) -> None:
    slug = max(LESSONS, key=lambda s: LESSONS[s].trace_ops)  # a lesson traced with its operations
    at = open_page("data_flow", lesson=slug)
    run, lesson = ui.default_run(slug).run, LESSONS[slug]
    expanders = [label for label in (plain(e.label) for e in at.expander) if label[:1].isdigit()]  # one per stage
    assert len(expanders) == len(run.stages)
    for number, (label, stage) in enumerate(zip(expanders, run.stages, strict=True), start=1):
        calls = run.trace.span(*lesson.stages[stage.key])
        assert label == f"{number}. {stage.title} · {len(calls)} call" + ("s" * (len(calls) != 1))
        shown = at.dataframe[number - 1].value
        assert [c.strip() for c in shown["Call"]] == [r.label + (f" [{r.call + 1}]" if r.call else "") for r in calls]
    operations = " ".join(at.dataframe[3].value["Operation"])
    assert all(op in operations for op in ("matmul", "div", "masked_fill", "softmax(dim=-1)", "reshape", "add"))
