"""Overview: the lesson card, live. The words paint first; every shape and number comes from the cached default run."""

import streamlit as st

import ui

content = ui.content()  # the lesson's words: no model code needed yet
st.title(content.title)
st.markdown(f"**{content.summary}**")
st.markdown(content.intro)

slug = ui.current_slug()
shared = ui.default_run(slug)  # loads torch and the run (from the cache) only now
doc, prediction = shared.document, shared.prediction
from pipeline.render import figures, handout, tables  # noqa: E402 -- after the first paint

st.download_button("Download this lesson (HTML)", data=lambda: handout.handout_html(doc),  # built on click only
                   file_name=f"{slug}.html", mime="text/html", on_click="ignore", icon=":material/download:",
                   help="This whole page with the data-flow animation and the quiz, in one file that opens in any "
                        "browser, offline.")

st.header(f"Training · {len(doc.epochs)} epochs", anchor="training")
ui.chart(figures.training_curves(doc.epochs), key="overview-curves")
ui.table(tables.epoch_rows(doc.epochs))
if doc.epochs and doc.epochs[0].probes:
    st.subheader("How its answers changed while it learned", anchor="probes")
    st.caption("A few sentences the model never trains on, answered again after every epoch.")
    probes = figures.probes_figure(doc.epochs)
    if probes is not None:
        ui.chart(probes, key="overview-probes")
    ui.table(tables.probe_rows(doc.epochs))

st.subheader("The data, as words", anchor="data")
ui.table(tables.examples_rows(doc.examples))
st.caption(f"A few of the {len(shared.run.examples):,} held-out examples the model never trains on.")

st.header(f"Data flow · {len(doc.stages)} stages", anchor="data-flow")
ui.table(tables.stage_rows(doc.stages))
st.caption("Shapes are for the whole dataset passing through at once; ? means the size varies from example to "
           "example. The example values come from the first example.")

st.header(f"Prediction trace · {len(prediction.layers)} layers", anchor="prediction")
st.markdown("One held-out example, followed through the trained model" +
            (f"; the data says the answer is **{ui.escape_markdown(prediction.expected)}**."
             if prediction.expected else "."))
for number, layer in enumerate(prediction.layers, start=1):
    ui.show_layer(layer, key=f"overview-layer-{number}", number=number)
st.metric("Prediction", prediction.output, f"{prediction.confidence:.0%} confident", delta_color="off",
          delta_arrow="off")
for note in prediction.general_notes:
    st.info(ui.escape_markdown(note), icon=":material/info:")

st.header("Key insight", anchor="key-insight")
st.success(content.key_insight, icon=":material/lightbulb:")
