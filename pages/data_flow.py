"""Data flow: an animated diagram of a batch moving through the lesson's stages (plays in the browser)."""

import streamlit as st

import ui
from pipeline.render import animation, tables
from pipeline.trace import Trace

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

st.subheader("Inside each stage", anchor="calls")
st.caption("Every call the trace recorded in a stage, in the order it ran: its name, what it does, its output and "
           "the first values of the first example.")
for number, stage in enumerate(run.stages, start=1):
    calls = run.trace.span(*lesson.stages[stage.key])
    count = f"{len(calls)} call" + ("s" if len(calls) != 1 else "")
    with st.expander(ui.escape_markdown(f"{number}. {stage.title} · {count}")):
        # A dataframe, not ui.table: its cells are not Markdown, so the indentation stays (and nothing is parsed).
        st.dataframe(tables.frame(tables.call_rows(Trace(records=calls))), hide_index=True)
