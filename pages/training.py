"""Training: pick hyperparameters, train while the curves grow live; the model stays in this session."""

import streamlit as st

import ui
from pipeline import live
from pipeline.render import figures, tables
from pipeline.settings import make_settings

lesson = ui.lesson()
slug = lesson.slug
log_key = f"train-log:{slug}"

st.title("Training")
st.markdown("Choose the settings and press **Train**. The curves grow every few batches, from the real "
            "numbers. Training runs while you watch: switching pages or pressing another button stops it.")
values, upload, submitted = ui.settings_form(lesson)

if submitted:
    try:
        settings = make_settings(lesson.settings_type, values)
        data = lesson.load_data(upload.getvalue(), upload.name) if upload is not None else None
    except ValueError as e:  # out-of-range settings, or a data file that cannot be used (InputError)
        st.error(str(e))
        st.stop()
    if data is not None:
        st.caption(f"Training on your file **{ui.escape_markdown(upload.name)}** ({len(data):,} rows).")
    bar, placeholder = st.progress(0.0, text="Preparing the data…"), st.empty()

    def draw(log: live.TrainingLog) -> None:
        fig = figures.training_curves(log.epochs, log, log.total_epochs)
        with placeholder:
            ui.chart(fig, key=f"live-{slug}-{feed.charts}")

    feed = live.LiveTraining(settings.epochs, lambda fraction, text: bar.progress(fraction, text=text), draw)
    try:
        st.session_state[ui.own_run_key(slug)] = lesson.run(settings, [feed], data)
    except ValueError as e:
        st.error(str(e))
        st.stop()
    st.session_state[log_key] = feed.log
    placeholder.empty()

log = st.session_state.get(log_key)
if ui.own_run(slug) is None or log is None:
    st.info("No model trained in this session yet: the other pages use the lesson's default model.")
    st.stop()
run = ui.own_run(slug)
st.success("Your model is trained. The Prediction page uses it now.", icon=":material/check_circle:")
ui.chart(figures.training_curves(run.epochs, log, log.total_epochs), key=f"curves-{slug}")
st.subheader("Epoch by epoch", anchor=False)
ui.table(tables.epoch_rows(run.epochs))
if st.button("Forget my model", help="Go back to the lesson's default model on every page."):
    del st.session_state[ui.own_run_key(slug)], st.session_state[log_key]
    st.rerun()
