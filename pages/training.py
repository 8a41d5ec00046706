"""Training: pick hyperparameters, train in the server's training pool while the curves grow live; the model
stays in this session."""

import math
import time

import streamlit as st

import ui
from pipeline.lessons import TrainingStopped
from pipeline.render import figures, tables
from pipeline.runs import budget, pool
from pipeline.runs import cache as run_cache
from pipeline.training import history, live
from pipeline.training.settings import make_settings, specs
from ui import keys
from ui.widgets import training_form

lesson = ui.lesson()
slug = lesson.slug
log_key, job_key, cancelled_key = keys.train_log(slug), keys.train_job(slug), keys.train_cancelled(slug)
history_key, note_key = keys.train_history(slug), keys.train_note(slug)


def cancel_training(slug: str) -> None:
    """The Cancel button: stop this learner's job at once (their page's old run stops at its next step)."""
    job = st.session_state.pop(keys.train_job(slug), None)
    if job is not None:
        job.cancel()
    st.session_state[keys.train_cancelled(slug)] = True


def use_settings(slug: str, index: int) -> None:
    """A "Use these settings" button: the form takes that run's settings back, and its model comes back at
    once when the run cache still holds it (runs on the built-in data only)."""
    past: history.PastRun = st.session_state[keys.train_history(slug)][index]
    for spec in specs(past.settings):
        st.session_state[keys.setting(slug, spec.name)] = getattr(past.settings, spec.name)
    found = run_cache.shared_cache().get(lesson, past.settings) if past.source == history.BUILT_IN else None
    if found is not None and found.complete:
        st.session_state[keys.own_run(slug)] = found
        st.session_state[keys.train_log(slug)] = live.TrainingLog(past.settings.epochs, epochs=list(found.epochs))
    st.session_state[keys.train_restored(slug)] = (past, found is not None)


def probes_section(epochs: list, key: str) -> None:
    """How the probe inputs' answers changed epoch by epoch: a chart of class probabilities, else a table."""
    if not epochs or not epochs[0].probes:
        return
    st.markdown("**How its answers changed while it learned**")
    fig = figures.probes_figure(epochs)
    if fig is not None:
        ui.chart(fig, key=key)
    else:
        ui.table(tables.probe_rows(epochs))


def compare_section() -> None:
    """The learner's last runs: their validation curves overlaid, each labelled by what set it apart."""
    kept: list[history.PastRun] = st.session_state.get(history_key, [])
    if len(kept) < 2:
        return
    st.subheader("Compare your last runs", anchor="compare")
    st.caption(f"Your last {len(kept)} runs of this lesson (up to {history.KEPT}), newest first, each named by what "
               "its settings changed. Press **Use these settings** to put a run's settings back in the form.")
    labelled = history.labelled(kept)
    ui.chart(figures.runs_overlay([(label, past.epochs) for label, past in labelled]), key=f"runs-{slug}")
    for i, (label, past) in enumerate(labelled):
        text, button = st.columns([4, 1.3], vertical_alignment="center")
        best = f"final validation accuracy {past.final_accuracy:.1%}" if past.final_accuracy is not None else ""
        text.markdown(f"{i + 1}. **{ui.escape_markdown(label)}** · {len(past.epochs)} epochs · {best} · trained on "
                      f"{ui.escape_markdown(past.source)}")
        button.button("Use these settings", key=keys.restore(slug, i), on_click=use_settings, args=(slug, i),
                      icon=":material/restore:", width="stretch")


st.title("Training")
form = st.empty()  # while a run trains, the form gives its room to the live curves
with form.container():
    st.markdown("Choose the settings and press **Train**. Your run waits for a free trainer, then the curves grow "
                "every few batches, from the real numbers. Switching pages or pressing another button stops it.")
    values, upload, submitted, message = training_form(lesson)
if st.session_state.pop(cancelled_key, False):
    message.info("Training cancelled: nothing was kept.", icon=":material/cancel:")
if note := st.session_state.pop(note_key, None):  # how the last run ended, when it ended without a model
    kind, text = note
    (message.info if kind == "info" else message.error)(text, icon=":material/cancel:" if kind == "info" else
                                                        ":material/error:")
restored = st.session_state.pop(keys.train_restored(slug), None)
if restored is not None:
    past, found = restored
    if found:
        then = ": its model is back too."
    elif past.source == history.BUILT_IN:
        then = "; press **Train** to get its model back."
    else:
        then = f"; upload {ui.escape_markdown(past.source)} again and press **Train** to get its model back."
    message.info(f"The form has that run's settings again{then}", icon=":material/restore:")

if submitted:
    try:
        settings = make_settings(lesson.settings_type, values)
        data = lesson.load_data(upload.getvalue(), upload.name) if upload is not None else None
        cost = budget.check(lesson, settings, data)  # OverBudget says what to lower
    except ValueError as e:  # out-of-range settings, an unusable data file (InputError), a run over the budget
        message.error(str(e), icon=":material/error:")
        st.stop()
    form.empty()
    changed = [f"{spec.label} {getattr(settings, spec.name)}" for spec in specs(lesson.settings_type)
               if getattr(settings, spec.name) != spec.default]
    shown_settings = " · ".join(changed) + " (the rest as by default)" if changed else "the default settings"
    source = f" · on your file **{ui.escape_markdown(upload.name)}** ({len(data):,} examples)" if data is not None \
        else ""
    st.markdown(f"**Training** · {ui.escape_markdown(shown_settings)}{source}")
    cache = run_cache.shared_cache()
    first = ("Another learner is training exactly these settings: you will get their model when it is done."
             if cache.training(lesson, settings, data) else "Starting…")
    progress, cancel = st.columns([5, 1], vertical_alignment="bottom")  # one row: the curves come next
    bar, cancel_slot, placeholder, probes_slot = progress.progress(0.0, text=first), cancel.empty(), st.empty(), \
        st.empty()
    cancel_slot.button("Cancel", key=keys.cancel(slug), icon=":material/cancel:", on_click=cancel_training,
                       args=(slug,), width="stretch")
    following: list[pool.Job] = []
    shown, drawn, answered = [first], [-math.inf], [0, -math.inf]  # answered: epochs shown, when

    def draw(log: live.TrainingLog) -> None:
        """Redraw the live chart, unless newer batches are already here or one was drawn a moment ago (epoch
        ends too): at most ``workers`` learners train at once, so the server draws a bounded number a second.
        The probe answers are redrawn once per epoch, when the epoch's answers arrive."""
        now, lagging = time.monotonic(), bool(following and following[0].lagging)
        if len(log.epochs) != answered[0] and live.redraw_due(now, answered[1], lagging,
                                                              live.PROBES_REDRAWS_PER_SECOND):
            answered[:] = len(log.epochs), now
            with probes_slot.container():
                probes_section(log.epochs, key=f"live-probes-{slug}-{answered[0]}")
        if not live.redraw_due(now, drawn[0], lagging):
            return
        drawn[0] = now
        fig = figures.training_curves(log.epochs, log, log.total_epochs)
        with placeholder:
            ui.chart(fig, key=f"live-{slug}-{feed.charts}")

    def waiting(job: pool.Job) -> None:
        """Called while nothing else happens: show the queue (a click on Cancel stops this run here)."""
        if not following:
            following.append(job)
        st.session_state[job_key] = job
        status = job.status()
        if status.state == "waiting" and status.text != shown[0]:
            shown[0] = status.text
            bar.progress(0.0, text=status.text)

    def clear() -> None:
        st.session_state.pop(job_key, None)
        for slot in (cancel_slot, placeholder, probes_slot, bar):
            slot.empty()

    def ended(kind: str, text: str) -> None:
        """The run ended without a model: say why under the Train button, with the form back."""
        clear()
        st.session_state[note_key] = (kind, text)
        st.rerun()

    feed = live.LiveTraining(settings.epochs, lambda fraction, text: bar.progress(fraction, text=text), draw)
    try:
        run = pool.train(lesson, settings, data, [feed], cache=cache, on_wait=waiting,
                         estimate=cost.seconds if cost else None)
    except pool.JobCancelled as e:
        ended("info", str(e))
    except (ValueError, pool.JobFailed, TrainingStopped) as e:
        ended("error", str(e))
    clear()
    st.session_state[keys.own_run(slug)], st.session_state[log_key] = run, feed.log
    source = upload.name if data is not None else history.BUILT_IN
    st.session_state[history_key] = history.remember(st.session_state.get(history_key, []), history.PastRun(
        run.settings, tuple(run.epochs), source, run.complete))
    st.rerun()  # the form again, above the trained model's curves

log = st.session_state.get(log_key)
if ui.own_run(slug) is None or log is None:
    st.info("No model trained in this session yet: the other pages use the lesson's default model.")
    compare_section()
    st.stop()
run = ui.own_run(slug)
past = st.session_state.get(history_key) or []
examples = run.info.get("sequences", run.info.get("images", 0))  # sentences or pairs; images
on_file = f" on your file **{ui.escape_markdown(past[0].source)}** ({examples:,} examples)" \
    if past and past[0].source != history.BUILT_IN and past[0].settings == run.settings else ""
if run.complete:
    st.success(f"Your model is trained{on_file}. The Prediction page uses it now.", icon=":material/check_circle:")
else:
    st.warning(f"{run.info.get('stopped', 'Stopped early.')} The Prediction page uses this model now.",
               icon=":material/timer:")
if not log.done_batches:
    st.caption("Nothing had to train: a run with exactly these settings was already kept on this server (the "
               "lesson's default run, or one trained earlier by you or another learner), so this is that model, its "
               "curves and numbers included. Change any setting and press Train to train a new one.")
ui.chart(figures.training_curves(run.epochs, log, log.total_epochs), key=f"curves-{slug}")
probes_section(run.epochs, key=f"probes-{slug}")
st.subheader("Epoch by epoch", anchor=False)
ui.table(tables.epoch_rows(run.epochs))
if st.button("Forget my model", help="Go back to the lesson's default model on every page (your last runs stay "
             "listed below)."):
    del st.session_state[keys.own_run(slug)], st.session_state[log_key]
    st.rerun()
compare_section()
