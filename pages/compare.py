"""Compare lessons: two models trained on the same data -- accuracy, size, time, why one needs fewer parameters, and
one input through both."""

from dataclasses import replace

import streamlit as st

import ui

st.title("Compare lessons")
from pipeline.app import compare  # noqa: E402 -- after the first paint: the lessons' code imports torch
from pipeline.lessons import LESSONS, InputKind  # noqa: E402

choices = compare.comparable(LESSONS)
if not choices:
    st.info("No two lessons read the same data yet, so there is nothing to compare.", icon=":material/info:")
    st.stop()


def title(slug: str) -> str:
    return LESSONS[slug].content.title


left, right = st.columns(2)
first = left.selectbox("First lesson", choices, format_func=title, key="compare-a")
second = right.selectbox("Second lesson", compare.partners(LESSONS, first), format_func=title, key="compare-b")
st.caption("Both models train on the same data with the same split and seed, using each lesson's default "
           "settings, so the difference below comes from the model.")

pair = [(LESSONS[slug], ui.default_run(slug)) for slug in (first, second)]
sides = [compare.side(lesson, shared.run) for lesson, shared in pair]
ui.table(compare.summary_rows(sides))
ui.chart(compare.accuracy_figure(sides), key="compare-curves")
st.markdown("\n".join(f"- {ui.escape_markdown(s)}" for s in compare.training_reading(*sides) +
                      compare.sharing_reading(*sides)))

default = pair[0][1].prediction.text
if pair[0][0].input_kind is InputKind.TEXT:
    st.header("One sentence through both", anchor="sentence")
    text = st.text_input("A sentence", value=default, key="compare-text", placeholder="e.g. the plot was not good",
                         help="Starts with a held-out sentence neither model trained on.")
else:  # pictures: one of the held-out images, named by its place (the Prediction page draws new ones)
    st.header("One input through both", anchor="sentence")
    examples = [code for code, _ in pair[0][1].run.examples[:40]]
    text = st.selectbox("A held-out image", examples, key="compare-image",
                        format_func=lambda code: ui.canvas.input_name(pair[0][0], code, examples).capitalize(),
                        help="Images neither model trained on; draw your own on the Prediction page.") or default
try:
    predictions = [shared.prediction if text == shared.prediction.text else ui.predict(lesson, shared.run, text)
                   for lesson, shared in pair]
except ValueError as e:  # InputError included: empty, too long, unusable text
    st.error(ui.escape_markdown(str(e)), icon=":material/error:")
    st.stop()

shared_notes = [n for n in predictions[0].notes if all(n in p.notes for p in predictions)]
for note in shared_notes:
    st.warning(ui.escape_markdown(note), icon=":material/info:")
views = [compare.context_layer(p) for p in predictions]
for column, side, prediction, view in zip(st.columns(2), sides, predictions, views, strict=True):
    with column:
        st.metric(ui.escape_markdown(side.title), prediction.output, f"{prediction.confidence:.0%} confident",
                  delta_color="off", delta_arrow="off")
        for note in (n for n in prediction.notes if n not in shared_notes):
            st.warning(ui.escape_markdown(note), icon=":material/info:")
        for sentence in compare.reading(view, side.title) if view is not None else []:
            st.info(ui.escape_markdown(sentence), icon=":material/lightbulb:")
# The pictures one below the other, full width: side by side, four heads' 10 x 10 grids are too small to read.
for (lesson, _), side, prediction, view in zip(pair, sides, predictions, views, strict=True):
    if view is not None:
        ui.show_layer(replace(view, title=f"{side.title}: {view.title}"), key=f"compare-layer-{lesson.slug}",
                      notes=prediction.notes)
