"""Overview: the lesson card, live. Words, tables and the training curves -- drawn from the default run's kept
numbers, with no model loaded -- the probes' answers as a table (their chart one click away: a lighter first
paint), and one prediction's journey as a table; its pictures are on the Prediction page."""

import streamlit as st

import ui

content = ui.content()  # the lesson's words: no model code needed
slug = ui.current_slug()
st.title(content.title)
st.markdown(f"**{content.summary}**")
st.markdown(content.intro)

card = ui.overview(slug)  # the default run's numbers: from disk, or the run loaded (and trained once) now
st.header(f"Training · {len(card['epochs'])} epochs", anchor="training")
ui.chart(card["curves"], key="overview-curves")
ui.table(card["epochs"])
if card["probe_rows"]:
    st.subheader("How its answers changed while it learned", anchor="probes")
    st.caption("A few sentences the model never trains on, answered again after every epoch.")
    ui.table(card["probe_rows"])
    if card["probes"]:
        chart = st.expander("The same answers as a chart", key="overview-probes-open", on_change="rerun")
        if chart.open:
            with chart:
                ui.chart(card["probes"], key="overview-probes")

st.subheader("The data, as words", anchor="data")
ui.table(card["examples"])
st.caption(f"A few of the {card['examples_total']:,} held-out examples the model never trains on.")

st.header(f"Data flow · {len(card['stages'])} stages", anchor="data-flow")
ui.table(card["stages"])
st.caption("Shapes are for the whole dataset passing through at once; ? means the size varies from example to "
           "example. The example values come from the first example.")

p = card["prediction"]
if p:
    st.header(f"Prediction trace · {len(p['layers'])} layers", anchor="prediction")
    st.markdown(f"One held-out example, “{ui.escape_markdown(p['text'])}”, followed through the trained model" +
                (f"; the data says the answer is **{ui.escape_markdown(p['expected'])}**." if p["expected"] else "."))
    ui.table(p["layers"])
    sure = "" if p["confidence"] is None else f"{p['confidence']:.0%} confident"
    st.metric("Prediction", p["output"], sure, delta_color="off", delta_arrow="off")
    for note in p["notes"]:
        st.info(ui.escape_markdown(note), icon=":material/info:")
    st.page_link("pages/prediction.py", label="Step through it on the Prediction page",
                 icon=":material/footprint:")

st.header("Key insight", anchor="key-insight")
st.success(content.key_insight, icon=":material/lightbulb:")
st.download_button("Download this lesson (HTML)", data=lambda: ui.handout(slug),  # built on click only
                   file_name=f"{slug}.html", mime="text/html", on_click="ignore", icon=":material/download:",
                   help="This lesson with the data-flow animation, every picture of the prediction and the quiz, "
                        "in one file that opens in any browser, offline.")
