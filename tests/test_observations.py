"""Observations: one label and one sentence per epoch, right on synthetic curves and on real trainings."""

import math
import random
import re

import pytest
import torch

from pipeline.lessons import get_lesson
from pipeline.training.observations import Label, Observation, observe, observe_all, observe_epoch, verdict
from pipeline.training.results import EpochResult

THIRD = 1 / 3  # three classes: guessing scores 33 %, its cross-entropy is ln 3 = 1.10


def curve(*rows: tuple[float, float, float]) -> list[EpochResult]:
    """Epochs from (training loss, validation loss, validation accuracy) rows."""
    return [EpochResult(n, loss, 0.0, val_loss, acc) for n, (loss, val_loss, acc) in enumerate(rows, start=1)]


PATTERNS = {  # a label, as a phrase in a sentence; "learning" alone is neither slowly, barely nor a rate
    Label.FIRST: r"first epoch", Label.BARELY: r"barely learning", Label.SLOWLY: r"learning slowly",
    Label.LEARNING: r"(?<!barely )\blearning\b(?! slowly| rate)", Label.PLATEAU: r"plateau",
    Label.OVERFITTING: r"overfitting", Label.UNSTABLE: r"unstable", Label.DIVERGING: r"diverging",
    Label.NOISY: r"noisy",
}


def named(text: str) -> set[str]:
    """Every label a sentence mentions."""
    return {label for label, pattern in PATTERNS.items() if re.search(pattern, text, re.IGNORECASE)}


def labels(history: list[EpochResult], chance: float = THIRD) -> list[str]:
    return [o.label for o in observe_all(history, chance)]


# --- one test per label, on curves built by hand ---------------------------------------------------------

def test_first_epoch_cites_loss_accuracy_and_guessing():
    o = observe_epoch(curve((1.0, 0.9, 0.5)), THIRD)
    assert o == Observation(Label.FIRST, "First epoch: loss 1.00, validation accuracy 50 % "
                                         "(guessing scores about 33 %).")
    assert observe_epoch(curve((1.0, 0.9, 0.5))).text == "First epoch: loss 1.00, validation accuracy 50 %."


def test_learning_slowly_while_accuracy_climbs_and_the_loss_stays_near_guessing():
    history = curve((1.093, 1.086, 0.46), (1.078, 1.073, 0.52), (1.064, 1.058, 0.63), (1.050, 1.043, 0.67),
                    (1.034, 1.026, 0.65))
    assert labels(history) == [Label.FIRST] + [Label.SLOWLY] * 4
    text = observe(history, THIRD)
    assert text.startswith("Validation accuracy 52 → 65 %, validation loss 1.07 → 1.03 over epochs 2–5")
    assert text.endswith("still close to guessing (1.10): learning slowly.")


def test_learning_slowly_while_accuracy_is_flat_but_the_loss_near_guessing_keeps_falling():
    history = curve((1.064, 1.058, 0.63), (1.050, 1.043, 0.62), (1.034, 1.026, 0.64), (1.017, 1.007, 0.63))
    assert observe_epoch(history, THIRD).label == Label.SLOWLY
    assert verdict(history, THIRD).text.endswith("from near guessing: a higher learning rate would speed it up.")


def test_learning_when_accuracy_and_loss_improve_fast():
    history = curve((1.0, 0.9, 0.5), (0.6, 0.55, 0.7), (0.4, 0.38, 0.8), (0.3, 0.3, 0.88))
    assert labels(history) == [Label.FIRST, Label.LEARNING, Label.LEARNING, Label.LEARNING]
    assert observe(history, THIRD) == ("Validation accuracy 50 → 88 %, validation loss 0.90 → 0.30 over "
                                       "epochs 1–4, improving: learning.")


def test_barely_learning_next_to_guessing():
    history = curve((1.098, 1.097, 0.34), (1.097, 1.097, 0.35), (1.097, 1.096, 0.34), (1.096, 1.096, 0.35))
    o = observe_epoch(history, THIRD)
    assert o.label == Label.BARELY
    assert "validation accuracy 34 → 35 %" in o.text.lower() and "guessing scores about 33 %" in o.text


def test_barely_learning_when_the_loss_stays_at_guessing_though_accuracy_is_above_chance():
    history = curve((1.09, 1.05, 0.45), (1.09, 1.05, 0.45), (1.088, 1.049, 0.46))
    assert observe_epoch(history, THIRD).label == Label.BARELY


def test_plateau_when_accuracy_has_levelled_off_far_from_guessing():
    history = curve((0.1, 0.15, 0.95), (0.09, 0.14, 0.96), (0.085, 0.14, 0.96), (0.08, 0.139, 0.96),
                    (0.078, 0.14, 0.96))
    o = observe_epoch(history, THIRD)
    assert o.label == Label.PLATEAU
    assert o.text.startswith("Validation accuracy steady at 96 %, validation loss 0.14 → 0.14 over epochs 2–5")


OVERFIT = [(0.8, 0.7, 0.6), (0.5, 0.5, 0.8), (0.3, 0.6, 0.78), (0.2, 0.65, 0.77), (0.1, 0.7, 0.77),
           (0.05, 0.52, 0.78), (0.04, 0.8, 0.76)]


def test_overfitting_from_the_epoch_after_the_best_and_said_while_it_holds():
    history = curve(*OVERFIT)
    said = observe_all(history, THIRD)
    assert [o.label for o in said] == [Label.FIRST, Label.LEARNING, Label.LEARNING] + [Label.OVERFITTING] * 4
    for o in said[3:]:  # epoch 6 dips to 0.52, not a new best: still the same overfitting, from epoch 3
        assert "overfitting from epoch 3 — epoch 2's model generalised best" in o.text
    assert said[4].text.startswith("Validation loss is up from its best 0.50 (epoch 2) to 0.70 while training "
                                   "loss fell 0.50 → 0.10")
    recovered = curve(*OVERFIT, (0.03, 0.45, 0.82))  # a new best validation loss ends it
    assert observe_epoch(recovered, THIRD).label != Label.OVERFITTING


def test_one_epoch_up_is_not_yet_overfitting():
    assert observe_epoch(curve(*OVERFIT[:3]), THIRD).label == Label.LEARNING


def test_validation_loss_up_while_training_loss_stops_falling_is_unstable():
    history = curve((0.8, 0.7, 0.6), (0.5, 0.5, 0.8), (0.48, 0.6, 0.78), (0.49, 0.65, 0.77), (0.5, 0.7, 0.75))
    assert labels(history)[3:] == [Label.OVERFITTING, Label.UNSTABLE]
    assert observe(history, THIRD) == ("Validation loss is up from its best 0.50 (epoch 2) to 0.70 and training "
                                       "loss no longer falls (0.50 → 0.50): unstable — the model is getting "
                                       "worse; the learning rate is likely too high.")


@pytest.mark.parametrize(("rows", "cited"), [
    ([(1.0, 0.9, 0.5), (3.0, 2.5, 0.4)], "Training loss 3.00 is 2.7× what guessing scores (1.10)"),
    ([(0.5, 0.5, 0.7), (0.3, 0.3, 0.8), (0.25, 0.28, 0.82), (0.45, 0.3, 0.8)],
     "Training loss rose from 0.25 (epoch 3) to 0.45"),
    ([(0.9, 0.8, 0.6), (0.62, 0.6, 0.7), (0.74, 0.7, 0.7), (0.62, 0.6, 0.72), (0.74, 0.7, 0.7)],
     "Training loss swings 0.62 → 0.74 → 0.62 → 0.74 over epochs 2–5"),
    ([(2.0, 1.6, 0.5), (1.3, 1.2, 0.55), (1.2, 1.15, 0.56)],
     "Training loss 1.20 is still above what guessing scores (1.10) since the run became unstable at epoch 1"),
])
def test_unstable_cites_the_loss_that_shows_it(rows, cited):
    o = observe_epoch(curve(*rows), THIRD)
    assert o.label == Label.UNSTABLE
    assert o.text == f"{cited}: unstable — the learning rate is likely too high."


def test_far_above_guessing_is_unstable_from_the_first_epoch():
    assert observe_epoch(curve((4.3, 4.5, 0.58)), THIRD).label == Label.UNSTABLE


def test_noisy_when_accuracy_zigzags_but_improves():
    history = curve((1.0, 0.9, 0.5), (0.7, 0.7, 0.7), (0.6, 0.65, 0.62), (0.5, 0.55, 0.78), (0.45, 0.58, 0.7),
                    (0.4, 0.45, 0.85))
    o = observe_epoch(history, THIRD)
    assert o == Observation(Label.NOISY, "Validation accuracy zigzags 62 → 78 → 70 → 85 % over epochs 3–6 but "
                                         "improves overall: noisy.")
    flat = curve(*[(r.loss, 0.6, a) for r, a in zip(history, [0.5, 0.7, 0.8, 0.72, 0.8, 0.72], strict=True)])
    assert observe_epoch(flat, THIRD).label == Label.PLATEAU  # zigzags without improving: not "noisy"


@pytest.mark.parametrize(("bad", "word"), [(math.nan, "NaN (not a number)"), (math.inf, "infinite")])
@pytest.mark.parametrize("where", ["loss", "val_loss"])
def test_nan_or_infinite_loss_is_diverging_and_stays_so(bad, word, where):
    history = curve((1.0, 0.9, 0.5), (0.7, 0.6, 0.7))
    for epoch in (3, 4):
        history.append(EpochResult(epoch, 0.5, 0.0, 0.5, 0.33))
        setattr(history[-1], where, bad)
    said = observe_all(history, THIRD)
    assert [o.label for o in said[2:]] == [Label.DIVERGING, Label.DIVERGING]
    assert all(o.text.startswith(f"The loss became {word} at epoch 3: diverging") for o in said[2:])
    assert verdict(history, THIRD).label == Label.DIVERGING
    assert observe_epoch(curve((bad, bad, 0.3)), THIRD).label == Label.DIVERGING


def test_a_loss_climbing_every_epoch_to_twice_its_best_is_diverging():
    history = curve((0.3, 0.3, 0.9), (0.4, 0.4, 0.85), (0.6, 0.6, 0.7), (0.9, 0.9, 0.5))
    o = observe_epoch(history, THIRD)
    assert o.label == Label.DIVERGING and "0.30 → 0.90 over epochs 1–4" in o.text


def test_without_chance_no_level_is_judged():
    history = curve((3.0, 2.5, 0.4), (2.9, 2.45, 0.42), (2.8, 2.4, 0.43))
    assert [o.label for o in observe_all(history)] == [Label.FIRST, Label.SLOWLY, Label.SLOWLY]
    assert not any("guess" in o.text for o in observe_all(history))
    assert observe_epoch(history, 0.5).label == Label.UNSTABLE  # 2.8 is 4× ln 2


def test_bad_arguments_are_refused_naming_them():
    with pytest.raises(ValueError, match="at least one epoch"):
        observe_epoch([], THIRD)
    with pytest.raises(ValueError, match=r"between 0 and 1, got 1\.5"):
        observe_epoch(curve((1.0, 1.0, 0.5)), 1.5)


def test_observe_is_a_drop_in_returning_the_sentence():
    history = curve(*OVERFIT)
    assert observe(history, THIRD) == observe_epoch(history, THIRD).text
    assert isinstance(observe(history[:1]), str)


def test_verdict_sums_up_the_run_with_the_last_label():
    v = verdict(curve(*OVERFIT), THIRD)
    assert v.label == Label.OVERFITTING
    assert v.text.startswith("Over 7 epochs validation accuracy went 60 → 76 % (best 80 % after epoch 2; "
                             "guessing scores about 33 %).")
    assert "overfitting from epoch 3" in v.text and v.text.endswith("Stop earlier (or add data): later epochs "
                                                                    "only fit the training set better.")
    one = verdict(curve((1.0, 0.9, 0.5)), THIRD)
    assert one.label == Label.FIRST and one.text.startswith("After 1 epoch validation accuracy is 50 % — guessing")


# --- never two contradictory notes --------------------------------------------------------------------------

def random_history(rng: random.Random) -> list[EpochResult]:
    """A curve of any shape: falling, rising, zigzagging, flat, with the odd NaN or infinity."""
    loss, val, acc, rows = rng.uniform(0.2, 4), rng.uniform(0.2, 4), rng.random(), []
    for _ in range(rng.randint(1, 12)):
        loss *= rng.uniform(0.5, 1.5)
        val *= rng.uniform(0.5, 1.5)
        acc = min(max(acc + rng.uniform(-0.15, 0.15), 0.0), 1.0)
        rows.append((rng.choice([loss] * 30 + [math.nan, math.inf]), val, acc))
    return curve(*rows)


FIXTURES = [curve(*OVERFIT), curve((1.0, 0.9, 0.5), (3.0, 2.5, 0.4)), curve((1.098, 1.097, 0.34))]


def test_every_epoch_gets_exactly_one_label_and_its_sentence_names_only_that_one():
    rng = random.Random(0)
    histories = FIXTURES + [random_history(rng) for _ in range(300)]
    seen = set()
    for history in histories:
        for chance in (0.0, THIRD, 1 / 11):
            for o in [*observe_all(history, chance), verdict(history, chance)]:
                assert o.label in set(Label)
                assert named(o.text) == {o.label}, o.text
                seen.add(o.label)
    assert seen == set(Label)  # the random curves reach every rule


# --- REAL TRAININGS (about 20 s): the two lessons at four learning rates each ------------------------------
# Expected labels are what a teacher says looking at the curve (measured with seed 0, torch 2.13 CPU):
REAL_RUNS = [
    # lesson, learning rate, epochs, {epoch: label}; validation accuracy per epoch, in %
    ("sequence-classification", 1e-4, 5, {5: Label.SLOWLY}),  # 46 52 63 66 65; loss 1.09 → 1.03, guessing 1.10
    ("sequence-classification", 0.002, 10, {5: Label.LEARNING, 10: Label.PLATEAU}),  # 67 79 84 94 98 96 96 98 97 98
    ("sequence-classification", 0.01, 6, {6: Label.OVERFITTING}),  # 84 99 98 98 98 98; val loss 0.086 → 0.105
    ("sequence-classification", 1.0, 4, {1: Label.UNSTABLE, 4: Label.UNSTABLE}),  # 58 55 53 65; loss 4.3 → 3.6
    ("seq2seq", 1e-4, 4, {4: Label.SLOWLY}),  # 14 26 26 27; loss 2.63 → 2.45, guessing 2.40
    ("seq2seq", 0.002, 4, {4: Label.LEARNING}),  # 43 62 84 89
    ("seq2seq", 0.01, 10, {4: Label.LEARNING, 10: Label.PLATEAU}),  # 62 86 92 96 98 98 99 99 99 99
    ("seq2seq", 1.0, 3, {3: Label.UNSTABLE}),  # 18 21 15; loss 13.8 → 7.5
]


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def chance_of(slug: str, info: dict) -> float:
    """The lesson's guessing accuracy, as it passes it to ``fit``."""
    if slug == "seq2seq":
        return 1 / (info["target_vocab_size"] - 3)  # <pad>, <unk> and <sos> are never the answer
    return 1 / len(info["classes"])


@pytest.mark.parametrize(("slug", "lr", "epochs", "expected"), REAL_RUNS)
def test_real_run_gets_the_label_a_teacher_would_give(slug, lr, epochs, expected, one_thread):
    lesson = get_lesson(slug)
    settings = lesson.settings_type(epochs=epochs, seed=0)
    object.__setattr__(settings, "lr", lr)  # 1.0 is above the settings' current maximum
    run = lesson.run(settings)
    said = observe_all(run.epochs, chance_of(slug, run.info))
    got = {epoch: said[epoch - 1].label for epoch in expected}
    curve_seen = [f"{e.val_accuracy:.0%}/{e.loss:.2f}" for e in run.epochs]
    assert got == expected, f"{slug} at {lr}: {curve_seen} -> {[o.label for o in said]}"
    assert all(named(o.text) == {o.label} for o in said)
    assert verdict(run.epochs, chance_of(slug, run.info)).label == expected[epochs]


# --- thresholds at work and sentences in full (each kills mutants the tests above let through) ------------

def test_a_flat_curve_at_50_percent_of_three_classes_is_a_plateau_not_barely_learning():
    """50 % is a quarter of the way from guessing (33 %) to 100 %: skill, however flat (the issue's SKILL 0.1 -> 0.3
    would call it barely learning)."""
    history = curve(*[(0.6, 0.7, 0.5)] * 5)
    assert observe_epoch(history, THIRD) == Observation(
        Label.PLATEAU, "Validation accuracy steady at 50 %, validation loss 0.70 → 0.70 over epochs 2–5, little "
                       "change: plateau.")


GUESS = math.log(3)  # the cross-entropy of guessing among three classes

# (rows, chance, the label, the sentence): each at a threshold or a window edge one rule turns on
AT_THE_EDGES = [
    pytest.param([(0.9, 0.9, 0.5), (0.3, 0.3, 0.6), (0.4, 0.4, 0.6), (0.6, 0.6, 0.6), (0.9, 0.9, 0.6)], THIRD,
                 Label.DIVERGING, "Training loss rose every epoch, 0.30 → 0.90 over epochs 2–5: diverging — lower the "
                 "learning rate.", id="climbing over the last four epochs only"),
    pytest.param([(0.3, 0.3, 0.9), (0.5, 0.5, 0.85), (0.9, 0.9, 0.7)], THIRD, Label.UNSTABLE,
                 "Training loss rose from 0.30 (epoch 1) to 0.90: unstable — the learning rate is likely too high.",
                 id="three epochs climbing are too few to diverge"),
    pytest.param([(0.3, 0.3, 0.9), (0.4, 0.4, 0.85), (0.4, 0.4, 0.8), (0.9, 0.9, 0.7)], THIRD, Label.UNSTABLE,
                 "Training loss rose from 0.30 (epoch 1) to 0.90: unstable — the learning rate is likely too high.",
                 id="a level step is no climb"),
    pytest.param([(0.3, 0.3, 0.9), (0.4, 0.4, 0.85), (0.5, 0.5, 0.8), (0.7, 0.7, 0.7)], THIRD, Label.DIVERGING,
                 "Training loss rose every epoch, 0.30 → 0.70 over epochs 1–4: diverging — lower the learning rate.",
                 id="the last epoch past twice the best"),
    pytest.param([(0.25, 0.3, 0.9), (0.3, 0.4, 0.85), (0.4, 0.5, 0.8), (0.5, 0.7, 0.7)], THIRD, Label.DIVERGING,
                 "Training loss rose every epoch, 0.25 → 0.50 over epochs 1–4: diverging — lower the learning rate.",
                 id="exactly twice the best"),
    pytest.param([(1.0, 0.9, 0.5), (math.nan, 0.8, 0.6)], THIRD, Label.DIVERGING,
                 "The loss became NaN (not a number) at epoch 2: diverging — the weights are broken; lower the "
                 "learning rate and train again.", id="NaN in full"),
    pytest.param([(0.5, 0.6, 0.5), (0.5, 0.6, 0.5), (0.49, 0.59, 0.53), (0.48, 0.59, 0.56), (0.47, 0.59, 0.5894)],
                 THIRD, Label.SLOWLY, "Validation accuracy 50 → 59 %, validation loss 0.60 → 0.59 over epochs 2–5, "
                 "improving a little: learning slowly.", id="2.98 points an epoch is not fast"),
    pytest.param([(0.5, 0.6, 0.4), (0.5, 0.6, 0.5), (0.49, 0.59, 0.54), (0.48, 0.59, 0.58), (0.47, 0.59, 0.62)],
                 THIRD, Label.LEARNING, "Validation accuracy 50 → 62 %, validation loss 0.60 → 0.59 over epochs 2–5, "
                 "improving: learning.", id="4 points an epoch over the window"),
    pytest.param([(0.1, 0.0, 0.9)] * 3, THIRD, Label.PLATEAU, "Validation accuracy steady at 90 %, validation loss "
                 "0 → 0 over epochs 1–3, little change: plateau.", id="a validation loss of 0"),
    pytest.param([(0.5, 0.9, 0.8), (0.45, 0.7, 0.8), (0.4, 0.6, 0.8)], THIRD, Label.LEARNING,
                 "Validation accuracy steady at 80 %, validation loss 0.90 → 0.60 over epochs 1–3, improving: "
                 "learning.", id="a loss below 1 dropping fast"),
    pytest.param([(1.5 * GUESS, 1.0, 0.5)], THIRD, Label.FIRST, "First epoch: loss 1.65, validation accuracy 50 % "
                 "(guessing scores about 33 %).", id="exactly 1.5 times guessing is not far above it"),
    pytest.param([(1.5, 1.0, 0.5)], THIRD, Label.FIRST, "First epoch: loss 1.50, validation accuracy 50 % (guessing "
                 "scores about 33 %).", id="1.5 is under 1.5 times guessing"),
    pytest.param([(1.0, 0.9, 0.5), (1.2, 0.85, 0.52)], THIRD, Label.SLOWLY, "Validation accuracy 50 → 52 %, "
                 "validation loss 0.90 → 0.85 over epochs 1–2, still close to guessing (1.10): learning slowly.",
                 id="exactly 1.2 times the best is no rise"),
    pytest.param([(0.01, 0.1, 0.95), (0.013, 0.1, 0.95)], THIRD, Label.PLATEAU, "Validation accuracy steady at 95 %, "
                 "validation loss 0.10 → 0.10 over epochs 1–2, little change: plateau.", id="a tiny loss's rise"),
    pytest.param([(1.25, 1.0, 0.5), (0.5, 0.9, 0.6), (0.625, 0.85, 0.62)], 0.0, Label.UNSTABLE,
                 "Training loss rose from 0.50 (epoch 2) to 0.62: unstable — the learning rate is likely too high.",
                 id="a rise of exactly a tenth of the first loss"),
    pytest.param([(0.6, 0.6, 0.8), (0.45, 0.5, 0.85), (0.55, 0.5, 0.85)], THIRD, Label.SLOWLY,
                 "Validation accuracy 80 → 85 %, validation loss 0.60 → 0.50 over epochs 1–3, improving a little: "
                 "learning slowly.", id="a rise under a tenth of guessing"),
    pytest.param([(0.5, 0.5, 0.8), (0.6, 0.5, 0.8), (0.5, 0.5, 0.8), (0.6, 0.5, 0.8)], THIRD, Label.PLATEAU,
                 "Validation accuracy steady at 80 %, validation loss 0.50 → 0.50 over epochs 1–4, little change: "
                 "plateau.", id="swings under a tenth of guessing"),
    pytest.param([(0.0, 0.5, 0.8), (0.05, 0.5, 0.8)], 0.0, Label.PLATEAU, "Validation accuracy steady at 80 %, "
                 "validation loss 0.50 → 0.50 over epochs 1–2, little change: plateau.",
                 id="a first loss of 0 measures moves against 1"),
    pytest.param([(0.0, 0.5, 0.8), (0.15, 0.5, 0.8)], 0.0, Label.UNSTABLE, "Training loss rose from 0 (epoch 1) to "
                 "0.15: unstable — the learning rate is likely too high.", id="against 1, 0.15 is a real move"),
    pytest.param([(0.5, 0.5, 0.8), (0.4, 0.5, 0.8), (0.5, 0.5, 0.8)], 0.0, Label.UNSTABLE, "Training loss rose from "
                 "0.40 (epoch 2) to 0.50: unstable — the learning rate is likely too high.",
                 id="a first loss of 0.5 measures moves against itself"),
    pytest.param([(0.012, 0.011, 0.99)], THIRD, Label.FIRST, "First epoch: loss 0.012, validation accuracy 99 % "
                 "(guessing scores about 33 %).", id="small numbers keep two significant digits"),
]


@pytest.mark.parametrize(("rows", "chance", "label", "text"), AT_THE_EDGES)
def test_at_the_edges_of_the_rules(rows, chance, label, text):
    assert observe_epoch(curve(*rows), chance) == Observation(label, text)


def test_refusals_in_full():
    with pytest.raises(ValueError) as refused:
        observe_epoch([], THIRD)
    assert str(refused.value) == "history must hold at least one epoch, got none"
    with pytest.raises(ValueError) as refused:
        observe_epoch(curve((1.0, 1.0, 0.5)), 1)
    assert str(refused.value) == "chance must be between 0 and 1, got 1"


def test_a_verdict_without_chance_names_no_guessing_and_the_earliest_best_epoch():
    history = curve((1.0, 0.9, 0.5), (0.6, 0.55, 0.7), (0.4, 0.38, 0.7))
    assert verdict(history).text == ("Over 3 epochs validation accuracy went 50 → 70 % (best 70 % after epoch 2). "
                                     "Validation accuracy 50 → 70 %, validation loss 0.90 → 0.38 over epochs 1–3, "
                                     "improving: learning. It was still improving at the end: more epochs would "
                                     "likely help.")
