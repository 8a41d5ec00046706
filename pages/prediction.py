"""Prediction: type or pick an input, then step through every stage from raw text to the answer."""

import time

import streamlit as st

import ui
from pipeline.stepper import PLAY_SECONDS

lesson = ui.lesson()
slug = lesson.slug
run, is_own = ui.run_to_use(slug)
text_key, example_key = f"pred-text:{slug}", f"pred-example:{slug}"
examples = [text for text, _ in run.examples[:40]]

st.title("Prediction")
st.caption("Using **your own model** from the Training page." if is_own else
           "Using the lesson's model, trained with the default settings. Train your own on the Training page.")
if text_key not in st.session_state and examples:
    st.session_state[text_key] = examples[0]


def use_example() -> None:
    if st.session_state.get(example_key):
        st.session_state[text_key] = st.session_state[example_key]
        st.session_state[example_key] = None  # back to "Choose an example", so it never disagrees with the input


left, right = st.columns([3, 2])
text = left.text_input("Type an input", key=text_key, persist_state="session",
                       placeholder="e.g. the plot was not good")
right.selectbox("…or pick a held-out example", examples, index=None, key=example_key, on_change=use_example,
                placeholder="Choose an example")
try:
    prediction = ui.predict(lesson, run, text or "")
except ValueError as e:  # InputError included: empty, too long, unusable text
    st.error(str(e), icon=":material/error:")
    st.stop()
for note in prediction.notes:
    st.warning(ui.escape_markdown(note), icon=":material/info:")

screens = prediction.screens()
stepper = ui.stepper(slug, (id(run), text), len(screens))


@st.fragment(run_every=PLAY_SECONDS if stepper.playing else None)
def step_view() -> None:
    """The stepper: buttons, where we are, and the current stage. Reruns on its own while playing."""
    was_playing = stepper.playing
    stepper.tick(time.monotonic(), PLAY_SECONDS)
    prev, nxt, play, where = st.columns([1, 1, 1, 5], vertical_alignment="center")
    prev.button("◀ Prev", key="prev", on_click=stepper.prev, disabled=stepper.index == 0, width="stretch")
    nxt.button("Next ▶", key="next", on_click=stepper.next, disabled=stepper.index == len(screens) - 1,
               width="stretch")
    if play.button("❚❚ Pause" if stepper.playing else "▶ Play", key="play", width="stretch"):
        stepper.toggle(time.monotonic())
        st.rerun()  # the whole page, so the auto-advance timer starts or stops
    where.progress((stepper.index + 1) / len(screens), text=f"Stage {stepper.index + 1} of {len(screens)}")
    ui.show_layer(screens[stepper.index], key=f"step-{slug}-{stepper.index}", shown_notes=prediction.notes,
                  side_by_side=True)
    if stepper.index == len(screens) - 1:
        st.metric("Prediction", prediction.output, f"{prediction.confidence:.0%} confident",
                  delta_color="off", delta_arrow="off")
    if was_playing and not stepper.playing:
        st.rerun()  # reached the end: stop the timer


step_view()
