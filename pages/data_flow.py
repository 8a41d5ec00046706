"""Data flow: an animated diagram of a batch moving through the lesson's stages (plays in the browser)."""

import streamlit as st

import ui
from pipeline.render import animation, tables

lesson = ui.lesson()
run = ui.own_run(lesson.slug) or ui.default_run(lesson.slug).run

st.title("Data flow")
st.markdown("Press **▶ Play** to send a batch through the model, or drag the slider to a stage. Each box "
            "grows with the size of the tensor it outputs; the heatmap shows real values of the first example.")
ui.chart(animation.dataflow_animation(run.stages), key=f"dataflow-{lesson.slug}")
st.caption("Using your own trained model." if ui.own_run(lesson.slug) else
           "Using the lesson's model, trained with the default settings.")
with st.expander("All stages as a table"):
    ui.table(tables.stage_rows(run.stages))
