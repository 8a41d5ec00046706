"""Overview: the lesson card, live -- every shape and number comes from the cached default run."""

import streamlit as st

import ui
from pipeline import figures, session, tables

lesson = ui.lesson()
content = lesson.content
shared = ui.default_run(lesson.slug)
run, prediction = shared.run, shared.prediction

st.title(content.title)
st.markdown(f"**{content.summary}**")
st.markdown(content.intro)

st.subheader("The data, as words", anchor="data")
st.table(tables.examples_table(run.examples), hide_index=True)
st.caption(f"A few of the {len(run.examples):,} held-out examples the model never trains on.")

st.header(f"Data flow · {len(run.stages)} stages", anchor="data-flow")
st.table(tables.stage_table(run.stages), hide_index=True)
st.caption("Shapes are for the whole dataset passing through at once; ? means the size varies from example to "
           "example. The example values come from the first example.")

st.header(f"Training · {len(run.epochs)} epochs", anchor="training")
ui.chart(figures.training_curves(run.epochs), key="overview-curves")
st.table(tables.epoch_table(run.epochs), hide_index=True)

st.header(f"Prediction trace · {len(prediction.layers)} layers", anchor="prediction")
expected = dict(run.examples).get(prediction.text)
st.markdown("One held-out example, followed through the trained model" +
            (f"; the data says the answer is **{session.escape_markdown(expected)}**." if expected else "."))
for number, layer in enumerate(prediction.layers, start=1):
    ui.show_layer(layer, key=f"overview-layer-{number}", number=number)
st.metric("Prediction", prediction.output, f"{prediction.confidence:.0%} confident", delta_color="off",
          delta_arrow="off")
for note in session.unattached_notes(prediction):
    st.info(session.escape_markdown(note), icon=":material/info:")

st.header("Key insight", anchor="key-insight")
st.success(content.key_insight, icon=":material/lightbulb:")
