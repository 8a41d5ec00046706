"""Training page: widgets from the settings specs, a real run, live curves, the model kept per session."""

from __future__ import annotations

import threading
import time

import pytest
import torch
from app_helpers import charts, plain, table, trace
from streamlit.delta_generator import DeltaGenerator

import ui
from pipeline.runs import pool
from pipeline.training.settings import specs

TINY = {"epochs": 2, "samples": 200, "embed_dim": 8, "hidden_dim": 8, "batch_size": 16}


def set_settings(at, slug: str, values: dict) -> None:
    for name, value in values.items():
        widget = next(w for w in [*at.number_input, *at.toggle] if w.key == f"setting:{slug}:{name}")
        widget.set_value(value)


def test_widgets_follow_the_lesson_settings(open_page) -> None:
    at = open_page("training")
    from pipeline.lessons import get_lesson

    expected = specs(get_lesson("sequence-classification").settings_type)
    inputs = {w.key.rsplit(":", 1)[1]: w for w in at.number_input}
    assert sorted(inputs) == sorted(s.name for s in expected)
    for spec in expected:  # the range is checked on Train (a browser keeps an out-of-range value to itself)
        assert (inputs[spec.name].min, inputs[spec.name].max) == (None, None)
        assert inputs[spec.name].help.endswith(f"From {spec.range_text}.")
        assert inputs[spec.name].value == spec.default
    assert any("No model trained" in i.value for i in at.info)


def test_train_button_trains_and_keeps_the_model_in_the_session(open_page) -> None:
    at = open_page("training")
    set_settings(at, "sequence-classification", {**TINY, "seed": 21})  # a seed no other test trains
    at.button(key="FormSubmitter:settings-sequence-classification-Train").click().run()
    assert not at.exception

    run = at.session_state["run:sequence-classification"]
    log = at.session_state["train-log:sequence-classification"]
    assert run.settings.epochs == 2 and run.settings.hidden_dim == 8
    assert len(log.epochs) == 2 and len(log.batch_x) == log.done_batches == log.total_batches == 2 * 10
    curves, probes = charts(at)
    assert trace(curves, "validation")["y"] == [e.val_loss for e in run.epochs]
    first = run.epochs[0].probes
    assert len(probes["data"]) == len(first) * len(next(iter(first.values())))  # a line per probe and class
    assert trace(curves, "training, each batch")["x"][-1] == 2.0
    epochs = table(at, 0)
    assert list(epochs["Epoch"]) == ["1", "2"] and all(epochs["Observation"])
    assert any("Prediction page uses it" in s.value for s in at.success)

    at.switch_page("pages/prediction.py").run()
    assert any("your own model" in c.value for c in at.caption)

    at.switch_page("pages/training.py").run()
    next(b for b in at.button if b.label == "Forget my model").click().run()
    assert "run:sequence-classification" not in at.session_state
    assert any("No model trained" in i.value for i in at.info)


def test_one_learners_training_leaves_other_sessions_alone(open_page) -> None:
    other = open_page("prediction")
    shared = ui.default_run("sequence-classification").run
    before = {k: v.clone() for k, v in shared.model.state_dict().items() if torch.is_tensor(v)}

    learner = open_page("training")
    set_settings(learner, "sequence-classification", TINY)
    learner.button(key="FormSubmitter:settings-sequence-classification-Train").click().run()
    assert "run:sequence-classification" in learner.session_state

    other.run()
    assert "run:sequence-classification" not in other.session_state
    assert any("lesson's model" in c.value for c in other.caption)
    after = shared.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not shared.model._forward_hooks and not any(m._forward_hooks for m in shared.model.modules())


def test_seq2seq_with_attention_trains_and_predicts_with_an_attention_heatmap(open_page) -> None:
    at = open_page("training", lesson="seq2seq")
    set_settings(at, "seq2seq", {"epochs": 1, "samples": 100, "embed_dim": 8, "hidden_dim": 8, "attention": True})
    at.button(key="FormSubmitter:settings-seq2seq-Train").click().run()
    assert not at.exception and at.session_state["run:seq2seq"].settings.attention is True

    at.switch_page("pages/prediction.py").run()
    for _ in range(20):
        if any(plain(s.value) == "Attention: where each output token looked" for s in at.subheader):
            break
        at.button(key="next").click().run()
    (heatmap,) = charts(at)
    assert heatmap["data"][0]["name"] == "head 1" and heatmap["data"][0]["type"] == "heatmap"


def test_uploaded_csv_trains_on_the_learners_data(open_page, monkeypatch) -> None:
    """AppTest cannot drive st.file_uploader, so the upload is handed to the form as a file object."""
    import io

    rows = "".join(f"the film was {w},{label}\n" for w, label in [("great", "pos"), ("awful", "neg")] * 60)
    upload = io.BytesIO(("text,label\n" + rows).encode())
    upload.name = "mine.csv"
    monkeypatch.setattr("streamlit.file_uploader", lambda *a, **k: upload)
    at = open_page("training")
    set_settings(at, "sequence-classification", TINY)
    at.button(key="FormSubmitter:settings-sequence-classification-Train").click().run()
    assert not at.exception
    run = at.session_state["run:sequence-classification"]
    assert run.info["classes"] == ["neg", "pos"] and run.info["sequences"] == 120
    assert any("mine" in s.value and "120 examples" in s.value for s in at.success)  # the name is shown escaped


def test_a_malformed_upload_is_an_inline_message(open_page, monkeypatch) -> None:
    import io

    upload = io.BytesIO(b"sentence,label\nhi,a\n")
    upload.name = "bad.csv"
    monkeypatch.setattr("streamlit.file_uploader", lambda *a, **k: upload)
    at = open_page("training")
    at.button(key="FormSubmitter:settings-sequence-classification-Train").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["bad.csv has no column 'text' (found: sentence, label)."]
    assert "run:sequence-classification" not in at.session_state


TRAIN = "FormSubmitter:settings-sequence-classification-Train"


def next_to_train(at) -> list[str]:
    """The messages in the settings form, below its Train button."""
    (form,) = at.get("form")
    kinds = [type(child).__name__ for child in form.children.values()]
    return [child.value for child in list(form.children.values())[kinds.index("Button") + 1:]]


def test_out_of_range_settings_and_a_run_over_the_budget_are_refused_next_to_train(open_page) -> None:
    at = open_page("training")
    set_settings(at, "sequence-classification", {"epochs": 500})
    at.button(key=TRAIN).click().run()
    assert next_to_train(at) == ["Epochs (epochs) must be between 1 and 50, got 500"]
    set_settings(at, "sequence-classification", {"epochs": 50, "samples": 20_000, "batch_size": 4})
    at.button(key=TRAIN).click().run()
    (refusal,) = next_to_train(at)
    assert refusal.startswith("This run would take about ") and refusal.endswith(
        "(the limit is 2 minutes): lower Sentences (20,000) or Epochs (50).")
    assert "run:sequence-classification" not in at.session_state and not at.exception


@pytest.fixture
def one_trainer(monkeypatch: pytest.MonkeyPatch):
    """Makes the app's pool one with one worker (so a job can be made to wait) and a given time limit;
    records the text of every progress bar drawn."""
    made: list[pool.TrainingPool] = []
    texts: list[str] = []
    progress = DeltaGenerator.progress

    def recording(self, value, text=None, **kwargs):
        texts.append(text)
        return progress(self, value, text=text, **kwargs)

    def make(run_seconds: float) -> tuple[pool.TrainingPool, list[str]]:
        made.append(pool.TrainingPool(workers=1, run_seconds=run_seconds))
        monkeypatch.setattr(pool, "_shared", made[-1])
        monkeypatch.setattr(DeltaGenerator, "progress", recording)
        return made[-1], texts

    yield make
    for p in made:
        p.close()


def test_a_waiting_learner_sees_the_queue_and_can_cancel(open_page, one_trainer) -> None:
    from pipeline.lessons import get_lesson

    at = open_page("training")
    set_settings(at, "sequence-classification", {**TINY, "seed": 23})
    small, texts = one_trainer(60)
    lesson = get_lesson("sequence-classification")
    busy = small.submit(lesson, lesson.settings_type(epochs=50, samples=4000, batch_size=8, seed=22))
    deadline = time.monotonic() + 30
    while busy.done_batches == 0 and time.monotonic() < deadline:
        time.sleep(0.05)

    def cancel_when_waiting() -> None:  # what the Cancel button does, from another thread (AppTest blocks)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(t and t.startswith("Waiting") for t in texts):
            time.sleep(0.05)
        next(job for job in list(small._waiting) if job is not busy).cancel()

    canceller = threading.Thread(target=cancel_when_waiting)
    canceller.start()
    at.button(key=TRAIN).click().run()
    canceller.join()
    busy.cancel()
    assert any(t.startswith("Waiting for a free trainer: you are next — about ") for t in texts if t), texts
    assert next_to_train(at) == ["The training was cancelled before it started."]
    assert not any(b.label == "Cancel" for b in at.button) and not at.get("progress")
    assert "run:sequence-classification" not in at.session_state and not at.exception


def test_the_time_limit_keeps_the_epochs_done_and_says_so(open_page, one_trainer) -> None:
    at = open_page("training")
    one_trainer(4)  # the first epoch (0.7 s here) has room on a busy machine, the 50 (35 s) stop on a fast one
    set_settings(at, "sequence-classification", {"epochs": 50, "samples": 12_000, "seed": 24})
    at.button(key=TRAIN).click().run()
    run = at.session_state["run:sequence-classification"]
    assert not run.complete and 1 <= len(run.epochs) < 50
    assert [w.value for w in at.warning] == [f"Stopped after {len(run.epochs)} of 50 epochs (time limit: 4 s per "
                                             "run). The Prediction page uses this model now."]
    assert len(table(at, 0)) == len(run.epochs)


def test_the_same_settings_again_come_from_the_run_cache(open_page) -> None:
    first, second = open_page("training"), open_page("training")
    for at in (first, second):
        set_settings(at, "sequence-classification", {**TINY, "seed": 25})
        at.button(key=TRAIN).click().run()
    assert not any("Nothing had to train" in c.value for c in first.caption)
    assert any(c.value.startswith("Nothing had to train: a run with exactly these settings was already kept on this "
                                  "server") for c in second.caption)
    assert second.session_state["run:sequence-classification"] is first.session_state["run:sequence-classification"]


def test_the_last_runs_are_overlaid_by_what_differed_and_one_click_sets_a_run_back(open_page) -> None:
    slug = "sequence-classification"
    at = open_page("training")
    for lr in (0.002, 0.05):
        set_settings(at, slug, {**TINY, "seed": 31, "lr": lr})
        at.button(key=f"FormSubmitter:settings-{slug}-Train").click().run()
        assert not at.exception
    assert any(h.value == "Compare your last runs" for h in at.subheader)
    overlay = charts(at)[-1]
    names = [t["name"] for t in overlay["data"] if t.get("showlegend") is not False]
    assert names == ["Learning rate 0.05", "Learning rate 0.002"]  # newest first, named by the one difference
    kept = at.session_state[f"train-history:{slug}"]
    assert [t["y"] for t in overlay["data"] if t["xaxis"] == "x2"] == \
        [[e.val_accuracy for e in past.epochs] for past in kept]

    at.button(key=f"restore:{slug}:1").click().run()  # the older run: learning rate 0.002
    lr = next(w for w in at.number_input if w.key == f"setting:{slug}:lr")
    assert lr.value == 0.002
    assert any("its model is back too" in i.value for i in at.info)
    assert at.session_state[f"run:{slug}"].settings.lr == 0.002
    assert len(at.session_state[f"train-history:{slug}"]) == 2  # restoring is not a new run
