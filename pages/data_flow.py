"""Data flow: the first example's real values travelling through the lesson's stages (plays in the browser)."""

import plotly.graph_objects as go
import streamlit as st

import ui
from pipeline.document.views import Prediction
from pipeline.render import animation, tables
from pipeline.trace import Trace
from ui import keys

lesson = ui.lesson()
slug = lesson.slug
run, is_own = ui.run_to_use(slug)
first = run.examples[0][0] if run.examples else ""
typed = st.session_state.get(keys.text(slug)) or ""


@st.cache_resource(max_entries=16, show_spinner=False)
def shared_flow(lesson_slug: str) -> go.Figure:
    """The default model's animation of its first held-out example: the same for every learner, built once."""
    cached = ui.default_run(lesson_slug)
    return animation.dataflow_animation(cached.run.stages, cached.prediction)


st.title("Data flow")
own_text = typed if typed and typed != first else ""
text = own_text or first
note = "your input from the Prediction page" if own_text else "the first held-out example"
try:  # the shared figure when nothing is the learner's own, else one for their model or input
    prediction = None if text == first and not is_own else ui.predict(lesson, run, text)
except ValueError as e:  # an input the lesson cannot read: show the first example instead
    st.warning(f"{ui.escape_markdown(str(e))} Showing the first held-out example instead.", icon=":material/info:")
    text, note = first, "the first held-out example"
    prediction = ui.predict(lesson, run, first) if is_own else None


def own_flow(mine: Prediction) -> go.Figure:
    """This learner's animation, kept in their session while the prediction is the same (it takes a moment)."""
    key = keys.dataflow_figure(slug)
    kept = st.session_state.get(key)
    if kept is None or kept[0] is not mine:
        kept = (mine, animation.dataflow_animation(run.stages, mine))
        st.session_state[key] = kept
    return kept[1]


figure = shared_flow(slug) if prediction is None else own_flow(prediction)
with st.container(key="dataflow-animation"):  # a phone scrolls it sideways rather than drop the stages' names
    ui.chart(figure, key=f"dataflow-{slug}")
st.caption(f"The values of {note}, “{ui.escape_markdown(text)}”, as they pass through "
           f"{'your own trained model' if is_own else 'the lesson’s model, trained with the default settings'}. "
           "Press **▶ Play** or drag the slider; hover a cell for its exact value.")

st.subheader("Stages", anchor="stages")
batch = run.stages[0].output_shape[0] if run.stages and run.stages[0].output_shape else None
st.caption(f"The shapes of the whole traced batch{f' ({batch:,} inputs)' if batch else ''}; the example values are "
           "from the batch's first input.")
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
