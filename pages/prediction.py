"""Prediction: type, draw or pick an input, then step through every stage from the raw input to the answer.

The stage's picture starts on the first screen in every view a class uses (a laptop or projector at 1280x720,
presenter mode, presenter mode at 150 %, a phone): the input is one compact row (in presenter mode, a button in
the stepper's toolbar), the stepper one row of buttons, and the stage's title and verdict sit beside the picture,
not above it. What is used less (comparing, play speed, guessing, the data's answer) comes after the stage.

Keys: ← / → step, Space plays or pauses, Home / End jump to the first / last stage (never while typing).
"""

import time

import streamlit as st

import ui
from pipeline.app.quiz import guess_question, guess_score
from pipeline.app.stepper import PLAY_SPEEDS
from pipeline.lessons import InputKind
from pipeline.render.describe import reading
from pipeline.training.settings import specs
from ui import keys

lesson = ui.lesson()
slug = lesson.slug
run, is_own = ui.run_to_use(slug)
text_key, example_key, speed_key, guess_key = keys.text(slug), keys.example(slug), keys.PLAY_SPEED, keys.guessing(slug)
examples = [text for text, _ in run.examples[:40]]
presenting = ui.presenting()
drawing = lesson.input_kind is InputKind.IMAGE
problem_key = keys.drawing_problem(slug)  # why the last drawing could not be used
if text_key not in st.session_state and examples:
    st.session_state[text_key] = examples[0]


def use_example() -> None:
    if st.session_state.get(example_key):
        st.session_state[text_key] = st.session_state[example_key]
        st.session_state[example_key] = None  # back to "Choose an example", so it never disagrees with the input
        st.session_state[problem_key] = None


def use_drawing(code: str | None, problem: str | None) -> None:
    """A stroke ended on the canvas: its drawing is the input now, or a line says why it cannot be."""
    if code is not None:
        st.session_state[text_key] = code
    st.session_state[problem_key] = problem


def name(text: str) -> str:
    return ui.canvas.input_name(lesson, text, examples)


def input_row() -> None:
    """The input and the examples on one line, their labels inside the boxes (a row, not a form: Enter predicts).
    A lesson that reads pictures has a canvas there instead of a text box, one click away (in presenter mode,
    already inside the toolbar's popover)."""
    left, right = st.container(key="input-row").columns([3, 2], vertical_alignment="center", gap="small")
    if drawing:
        with left.popover("Draw a digit", icon=":material/draw:", width="stretch") if not presenting else left:
            ui.canvas.canvas(lesson, key=keys.canvas(slug), on_input=use_drawing)
    else:
        left.text_input("Type an input", key=text_key, persist_state="session", label_visibility="collapsed",
                        placeholder="Type an input, e.g. the plot was not good")
    right.selectbox("…or pick a held-out example", examples, index=None, key=example_key, on_change=use_example,
                    placeholder="…or pick a held-out example", label_visibility="collapsed",
                    format_func=(lambda text: name(text).capitalize()) if drawing else str)  # a text as it is typed


if not presenting:
    input_row()
text = st.session_state.get(text_key) or ""
if st.session_state.get(problem_key):
    ui.canvas.problem_line(st.session_state[problem_key])
try:
    prediction = ui.predict(lesson, run, text)
except ValueError as e:  # InputError included: empty, too long, unusable text
    if presenting:
        input_row()
    st.error(str(e), icon=":material/error:")
    st.stop()
screens = prediction.screens()
stepper = ui.stepper(slug, (id(run), text), len(screens))
# An on/off setting flipped needs the run's data again: offered unless the run may be on a learner's own file.
switches = [spec.name for spec in specs(lesson.settings_type) if spec.kind is bool] \
    if not is_own or lesson.data_format is None else []
choices = ["another input", *(f"{name} on and off" for name in switches)]
compare = st.session_state.get(keys.compare(slug))
other: tuple[str, object] | None = None  # (heading, the other prediction) shown beside this one
seconds = PLAY_SPEEDS[st.session_state.get(speed_key) or "normal"]
guessing = bool(st.session_state.get(guess_key))
guesses: dict = st.session_state.setdefault(keys.guesses(slug), {})  # (input, screen) -> the choice made


def guess_first(index: int) -> bool:
    """Predict, then reveal: ask about this stage before showing it. True while the guess is still to make."""
    question = guess_question(screens[index], seed=text) if guessing else None
    if question is None:
        return False
    key = (text, index)
    if key not in guesses:
        st.markdown(f"**Guess first:** {ui.escape_markdown(question.question)}")
        widget = f"guess-{slug}-{index}-{len(guesses)}"
        st.radio(question.question, list(range(len(question.choices))), index=None, key=widget,
                 label_visibility="collapsed", format_func=lambda c: ui.escape_markdown(question.label(c)),
                 on_change=lambda: guesses.__setitem__(key, st.session_state[widget]))
        return True
    right = guesses[key] == question.answer
    (st.success if right else st.error)(ui.escape_markdown(("Right: " if right else "Not this time: ") +
                                                           question.explanation), icon=":material/psychology:")
    return False


def side_by_side(screen) -> None:
    """This stage for this input (or model) beside the same stage for the other one."""
    heading, second = other
    screens2 = second.screens()
    twin = screens2[min(stepper.index, len(screens2) - 1)]
    this = f"“{name(text)}”" if compare == "another input" else \
        f"{setting} {'on' if getattr(run.settings, setting) else 'off'}"
    st.subheader(ui.escape_markdown(screen.title), anchor=False)
    for column, label, view, answer in zip(st.columns(2), (this, heading), (screen, twin),
                                           (prediction, second), strict=True):
        with column:
            st.markdown(f"**{ui.escape_markdown(label)}** → {ui.escape_markdown(answer.output)}")
            st.caption(ui.escape_markdown(reading(view)))
            ui.picture(view, key=f"twin-{slug}-{stepper.index}-{label}")


def numbers_table(screen) -> None:
    """The stage's numbers, one click away; built only while open (it stays open from stage to stage)."""
    rows = ui.stage_rows(screen)  # worked out once per stage, not at each learner's draw
    if rows:
        numbers = st.expander("This stage's numbers, as a table", key=keys.stage_table(slug), on_change="rerun")
        if numbers.open:
            with numbers:
                ui.table(rows)


def toolbar() -> None:
    """One row: (in presenter mode) the input, the step buttons with their keys, where we are, the guess score."""
    bar = st.container(horizontal=True, vertical_alignment="center", gap="small", key="stepper-bar")
    if presenting:
        shown = name(text) if len(name(text)) <= 16 else name(text)[:15] + "…"
        with bar.popover(ui.escape_markdown(f"“{shown}”"), icon=":material/edit:", help="Change the input"):
            input_row()
    last = len(screens) - 1
    # Icons from Streamlit's own font (⏮/⏭ are missing from many systems' fonts); on a phone only the icons show
    # (the words stay the buttons' names for a screen reader) and no key hints (ui.layers.STEPPER_CSS).
    bar.button("First", key="first", icon=":material/first_page:", on_click=stepper.first,
               disabled=stepper.index == 0, help="First stage (Home)", shortcut="Home")
    bar.button("Prev", key="prev", icon=":material/chevron_left:", on_click=stepper.prev,
               disabled=stepper.index == 0, help="Previous stage (←)", shortcut="Left")
    if bar.button("Pause" if stepper.playing else "Play", key="play", disabled=guessing,
                  icon=":material/pause:" if stepper.playing else ":material/play_arrow:",
                  help="Play through the stages (Space)", shortcut="Space"):
        stepper.toggle(time.monotonic())
        st.rerun()  # the whole page, so the auto-advance timer starts or stops
    bar.button("Next", key="next", icon=":material/chevron_right:", on_click=stepper.next,
               disabled=stepper.index == last, help="Next stage (→)", shortcut="Right")
    bar.button("Last", key="last", icon=":material/last_page:", on_click=stepper.last,
               disabled=stepper.index == last, help="Last stage (End)", shortcut="End")
    bar.markdown(f"**Stage {stepper.index + 1} of {len(screens)}**", width="content")
    if guessing:
        right, asked = guess_score(screens, guesses, text)
        bar.markdown(f":material/psychology: **{right} of {asked}** guesses right", width="content",
                     help="Your guesses on this input: right of those made.")


@st.fragment(run_every=seconds if stepper.playing else None)
def step_view() -> None:
    """The stepper: buttons (with keys), where we are, the current stage. Reruns itself while playing."""
    if (st.session_state.get(text_key) or "") != text:
        st.rerun()  # a new input typed in the toolbar (presenter mode) reran only this fragment: trace it anew
    was_playing = stepper.playing
    stepper.tick(time.monotonic(), seconds)
    ui.sync_link("prediction")  # a fragment's rerun skips app.py: the address must follow the step from here
    toolbar()
    screen = screens[stepper.index]
    asked = ui.classroom.class_guess(slug, stepper.index)  # in a class: the teacher's guess about this stage
    if asked is not None and asked.hides is not None:
        ui.classroom.guess_in_place(asked)  # the stage waits for the reveal
        return
    if guess_first(stepper.index):
        return
    if other is not None:
        st.info(ui.escape_markdown(reading(screen)), icon=":material/visibility:")
        side_by_side(screen)
        return
    shown = ui.inside.stage(lesson, run, text, screen, stepper.index, guessing)  # the epoch and word chosen
    ui.show_layer(shown.view, key=f"step-{slug}-{stepper.index}", notes=prediction.notes, side_by_side=f"step-{slug}",
                  verdict=shown.verdict, below=lambda: numbers_table(shown.view),
                  controls=ui.classroom.with_verdict(asked, shown.controls), highlight=shown.highlight)
    if stepper.index < len(screens) - 1:
        ui.prepare(screens[stepper.index + 1])  # built while the learner reads this one
    if was_playing and not stepper.playing:
        st.rerun()  # reached the end: stop the timer


if compare == "another input":
    text2 = st.session_state.get(keys.second_text(slug))
    if text2:
        try:
            other = (f"“{name(text2)}”", ui.predict(lesson, run, text2))
        except ValueError as e:
            st.error(f"Second input: {e}", icon=":material/error:")
elif compare in choices:
    setting = switches[choices.index(compare) - 1]
    flipped = ui.variant_run(lesson, run, setting)
    other = (f"{setting} {'on' if getattr(flipped.settings, setting) else 'off'}", ui.predict(lesson, flipped, text))
step_view()

st.divider()
st.caption("Using **the teacher's model**, as the class follows it." if ui.classroom.showing_class_model(slug)
           else "Using **your own model** from the Training page." if is_own else
           "Using the lesson's model, trained with the default settings. Train your own on the Training page.")
speed, guess, reveal = st.columns(3)
st.segmented_control("Compare side by side with", choices, key=keys.compare(slug),
                     help="The same stage for a second input (“good” beside “not good”), or for the same input "
                          "through the model trained with an on/off setting flipped.")
if compare == "another input" and drawing:
    st.selectbox("Second input", examples, index=None, key=keys.second_text(slug), placeholder="a held-out image",
                 format_func=lambda text: name(text).capitalize())
elif compare == "another input":
    st.text_input("Second input", key=keys.second_text(slug), placeholder="e.g. the plot was good")
speed.segmented_control("Play speed", list(PLAY_SPEEDS), key=speed_key, default="normal",
                        help="Seconds per stage while playing: slow 3, normal 1.5, fast 0.75.")
guess.toggle("Guess before each stage", key=guess_key, help="Predict, then reveal: before a stage is shown, guess "
             "what it will show (the answer, the word that matters most, a shape), then see if you were right. "
             "Your score is beside the stage number.")
if prediction.expected is not None and reveal.toggle("Show the data's answer", key=keys.reveal(slug),
                                                     help="Try to work it out first: step through, then check."):
    verdict = "the model got it right" if prediction.expected == prediction.output else \
        f"the model wrote “{prediction.output}”"
    reveal.success(ui.escape_markdown(f"The data's answer is “{prediction.expected}”: {verdict}."),
                   icon=":material/fact_check:")
