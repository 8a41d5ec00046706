"""Session helpers: the live-training feed, settings from widgets, the stepper, quiz score, escaping."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from pipeline import session
from pipeline.lessons.base import Prediction, PredictionLayer
from pipeline.lessons.content import Question
from pipeline.train import BatchResult, EpochResult, StepOutput, TrainConfig, fit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def feed(clock: Clock, epochs: int = 2) -> tuple[session.LiveTraining, list, list]:
    progress, charts = [], []
    live = session.LiveTraining(epochs, lambda f, t: progress.append((f, t)),
                                lambda log: charts.append(len(log.epochs)), clock=clock, chart_seconds=1.0,
                                progress_seconds=0.5)
    return live, progress, charts


def test_live_training_redraws_every_epoch_and_at_a_bounded_rate_between() -> None:
    clock = Clock()
    live, progress, charts = feed(clock)
    live.on_train_start(20)
    for epoch in (1, 2):
        for batch in range(1, 11):
            clock.now += 0.25
            live.on_batch_end(BatchResult(epoch, batch, 10, 1.0 / batch, 0.5))
        live.on_epoch_end(EpochResult(epoch, 0.5, 0.6, 0.55, 0.58))
    live.on_train_end(live.log.epochs)
    # 5 s of batches: a chart at most once a second between epochs, plus one per epoch
    assert charts.count(0) == 3 and charts.count(1) == 3 and charts[-1] == 2 and live.charts == len(charts)
    assert len(progress) <= 2 * 10 // 2 + 3 and progress[-1][0] == 1.0
    assert progress[0][1] == "Epoch 1 of 2 · batch 1 of 10 · loss 1.000"
    assert live.log.batch_x[:2] == [0.1, 0.2] and live.log.batch_x[-1] == 2.0 and live.log.fraction == 1.0


def test_live_training_samples_batches_when_there_are_very_many() -> None:
    live, _, _ = feed(Clock())
    live.on_train_start(10 * session.MAX_BATCH_POINTS)
    for i in range(1, 10 * session.MAX_BATCH_POINTS + 1):
        live.on_batch_end(BatchResult(1, i, 10 * session.MAX_BATCH_POINTS, 1.0, 0.5))
    assert len(live.log.batch_loss) == session.MAX_BATCH_POINTS


def test_live_training_follows_a_real_fit() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(40, 3), torch.randint(0, 2, (40,))
    model = nn.Linear(3, 2)

    def step(m: nn.Module, batch: list[torch.Tensor]) -> StepOutput:
        logits = m(batch[0])
        return StepOutput(F.cross_entropy(logits, batch[1]), len(batch[1]),
                          {"accuracy": (int((logits.argmax(1) == batch[1]).sum()), len(batch[1]))})

    clock = Clock()
    live, progress, charts = feed(clock, epochs=3)
    history = fit(model, step, (x[:32], y[:32]), (x[32:], y[32:]), TrainConfig(epochs=3, batch_size=8), [live])
    assert live.log.epochs == history and live.log.total_batches == live.log.done_batches == 12
    assert charts[-3:] == [1, 2, 3] and progress[-1][0] == 1.0


def test_make_settings_coerces_widget_values_and_names_bad_ones() -> None:
    settings = session.make_settings(TrainConfig, {"epochs": 3.0, "seed": 7.0, "batch_size": 8})
    assert settings == TrainConfig(epochs=3, seed=7, batch_size=8) and isinstance(settings.seed, int)
    with pytest.raises(ValueError, match=r"epochs must be an integer, got 2\.5"):
        session.make_settings(TrainConfig, {"epochs": 2.5})
    with pytest.raises(ValueError, match="epochs must be between 1 and 50, got 0"):
        session.make_settings(TrainConfig, {"epochs": 0})
    with pytest.raises(ValueError, match="unknown setting"):
        session.make_settings(TrainConfig, {"dropout": 0.1})


def test_stepper_moves_within_bounds_and_plays_to_the_end() -> None:
    s = session.Stepper(3)
    s.prev()
    assert s.index == 0
    s.next(), s.next(), s.next()
    assert s.index == 2
    s.play(now=10.0)  # from the end: start again
    assert s.index == 0 and s.playing
    assert not s.tick(now=10.5, seconds=1.0) and s.index == 0
    assert s.tick(now=11.0, seconds=1.0) and s.index == 1 and s.playing
    assert s.tick(now=12.0, seconds=1.0) and s.index == 2 and not s.playing
    assert not s.tick(now=20.0, seconds=1.0)


def test_prediction_steps_split_decoder_layers_into_their_steps() -> None:
    steps = [{"step": i, "input": "a", "hidden": [], "top": [["b", 1.0]], "chosen": "b", "attention": None}
             for i in (1, 2)]
    prediction = Prediction("x", "b b", 1.0, [
        PredictionLayer("t", "Tokens", "d", "tokens", [1, 2], [1, 2]),
        PredictionLayer("dec", "Decoder", "d", "decoder_steps", [1, 2], steps),
        PredictionLayer("out", "Output", "d", "tokens", [1, 2], [3, 4]),
    ])
    got = session.prediction_steps(prediction)
    assert [(s.title, s.decoder_step) for s in got] == [("Tokens", None), ("Decoder: step 1 of 2", 0),
                                                          ("Decoder: step 2 of 2", 1), ("Output", None)]


def test_quiz_score_counts_right_answers() -> None:
    questions = [Question(question=f"q{i}", choices=["a", "b", "c"], answer=i % 3, explanation="e") for i in range(4)]
    assert session.quiz_score(questions, {}) == (0, 0)
    assert session.quiz_score(questions, {0: 0, 1: 2, 3: 0}) == (2, 3)


def test_escape_markdown_keeps_text_as_typed() -> None:
    escaped = session.escape_markdown("<b>x</b> **y** $z$ :red[w] [a](b) 1. #")
    assert "<b>" not in escaped and "**" not in escaped and "$z$" not in escaped and ":red[" not in escaped
    assert escaped.replace("\\", "") == "<b>x</b> **y** $z$ :red[w] [a](b) 1. #"


def test_private_copy_is_independent_of_the_shared_run() -> None:
    from pipeline.lessons.base import LessonRun

    run = LessonRun("l", TrainConfig(), [], [], nn.Linear(2, 2))
    copy = session.private_copy(run)
    with torch.no_grad():
        copy.model.weight.zero_()
    assert run.model.weight.abs().sum() > 0 and dataclasses.asdict(copy.settings) == dataclasses.asdict(run.settings)


def test_marked_choices_tick_the_answer_and_cross_a_wrong_pick() -> None:
    q = Question(question="q", choices=["a", "b", "c"], answer=1, explanation="e")
    right, wrong, other = session.RIGHT, session.WRONG, session.OTHER
    assert session.marked_choices(q, 2) == [f"{other} A. a", f"{right} B. b", f"{wrong} **C. c** · your answer"]
    assert session.marked_choices(q, 1) == [f"{other} A. a", f"{right} **B. b** · your answer", f"{other} C. c"]
