"""Prediction: type or pick an input, then step through every stage from raw text to the answer.

Keys: ← / → step, Space plays or pauses, Home / End jump to the first / last stage (never while typing).
"""

import time

import streamlit as st

import ui
from pipeline.render.describe import data_rows, reading
from pipeline.stepper import PLAY_SPEEDS

lesson = ui.lesson()
slug = lesson.slug
run, is_own = ui.run_to_use(slug)
text_key, example_key, speed_key = f"pred-text:{slug}", f"pred-example:{slug}", "play-speed"
examples = [text for text, _ in run.examples[:40]]
presenting = ui.presenting()

if not presenting:
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
seconds = PLAY_SPEEDS[st.session_state.get(speed_key) or "normal"]


@st.fragment(run_every=seconds if stepper.playing else None)
def step_view() -> None:
    """The stepper: buttons (with keys), where we are, the verdict, the current stage. Reruns itself while playing."""
    was_playing = stepper.playing
    stepper.tick(time.monotonic(), seconds)
    last = len(screens) - 1
    cols = st.columns([1, 1, 1.3, 1, 1, 2.6], vertical_alignment="center")
    cols[0].button("⏮", key="first", on_click=stepper.first, disabled=stepper.index == 0, width="stretch",
                   help="First stage (Home)", shortcut="Home")
    cols[1].button("◀ Prev", key="prev", on_click=stepper.prev, disabled=stepper.index == 0, width="stretch",
                   help="Previous stage (←)", shortcut="Left")
    if cols[2].button("❚❚ Pause" if stepper.playing else "▶ Play", key="play", width="stretch",
                      help="Play through the stages (Space)", shortcut="Space"):
        stepper.toggle(time.monotonic())
        st.rerun()  # the whole page, so the auto-advance timer starts or stops
    cols[3].button("Next ▶", key="next", on_click=stepper.next, disabled=stepper.index == last, width="stretch",
                   help="Next stage (→)", shortcut="Right")
    cols[4].button("⏭", key="last", on_click=stepper.last, disabled=stepper.index == last, width="stretch",
                   help="Last stage (End)", shortcut="End")
    cols[5].markdown(f"### Stage {stepper.index + 1} of {len(screens)}")
    screen = screens[stepper.index]
    st.info(ui.escape_markdown(reading(screen)), icon=":material/visibility:")
    ui.show_layer(screen, key=f"step-{slug}-{stepper.index}", shown_notes=prediction.notes, side_by_side=True)
    rows = data_rows(screen)
    if rows:
        with st.expander("This stage's numbers, as a table"):
            ui.table(rows)
    if stepper.index == last:
        st.metric("Prediction", prediction.output, f"{prediction.confidence:.0%} confident",
                  delta_color="off", delta_arrow="off")
    if was_playing and not stepper.playing:
        st.rerun()  # reached the end: stop the timer


step_view()
speed, reveal = st.columns(2)
speed.segmented_control("Play speed", list(PLAY_SPEEDS), key=speed_key, default="normal",
                        help="Seconds per stage while playing: slow 3, normal 1.5, fast 0.75.")
if prediction.expected is not None and reveal.toggle("Show the data's answer", key=f"reveal:{slug}",
                                                     help="Try to work it out first: step through, then check."):
    verdict = "the model got it right" if prediction.expected == prediction.output else \
        f"the model wrote “{prediction.output}”"
    reveal.success(ui.escape_markdown(f"The data's answer is “{prediction.expected}”: {verdict}."),
                   icon=":material/fact_check:")
