"""The work budget: counts equal the real model's, more work never costs less, a refusal that says what to lower.

How close the estimates come to measured runs is measured by bench/budget.py, not here."""

from __future__ import annotations

import dataclasses
import random

import pytest

from pipeline.data import TextDataset
from pipeline.data.tokens import MAX_VOCAB
from pipeline.lessons import get_lesson
from pipeline.runs import budget

SLUGS = ["sequence-classification", "seq2seq", "transformer-classification"]


@pytest.mark.parametrize("slug", SLUGS)
def test_counts_are_those_of_the_model_the_lesson_builds(slug: str) -> None:
    lesson = get_lesson(slug)
    settings = lesson.settings_type(samples=300, seed=2)
    prepared = lesson.prepare(settings)
    counts = budget.workload(lesson, settings)
    assert counts.params == sum(p.numel() for p in prepared.trainable.parameters())
    assert counts.vocab == prepared.info.get("vocab_size", prepared.info.get("source_vocab_size"))
    assert (counts.examples, counts.train) == (300, len(prepared.train[0]))
    assert counts.steps == settings.epochs * -(-len(prepared.train[0]) // settings.batch_size)


@pytest.mark.parametrize("slug", SLUGS)
def test_the_estimate_grows_with_the_work(slug: str) -> None:
    """What holds on any machine: more examples, epochs or width never cost less (the fit is checked against
    measured runs by the calibration benchmark, bench/budget.py, not here: a timing depends on the machine)."""
    lesson = get_lesson(slug)
    small = lesson.settings_type(samples=300, epochs=1)
    seconds = budget.estimate(lesson, small).seconds
    for bigger in (dataclasses.replace(small, samples=600), dataclasses.replace(small, epochs=3)):
        assert budget.estimate(lesson, bigger).seconds > seconds, bigger
    both = budget.estimate(lesson, dataclasses.replace(small, samples=600, epochs=3)).seconds
    assert both > max(budget.estimate(lesson, b).seconds for b in (dataclasses.replace(small, samples=600),
                                                                  dataclasses.replace(small, epochs=3)))


def test_a_run_over_the_budget_is_refused_with_what_to_lower() -> None:
    lesson = get_lesson("sequence-classification")
    settings = lesson.settings_type(epochs=50, samples=20_000, batch_size=4)
    with pytest.raises(budget.OverBudget) as refused:
        budget.check(lesson, settings)
    message = str(refused.value)
    assert message.startswith("This run would take about ")
    assert "minutes of training (the limit is 2 minutes)" in message
    assert message.endswith(": lower Sentences (20,000) or Epochs (50).")
    assert refused.value.cost.seconds > 120
    assert budget.check(lesson, lesson.settings_type()).seconds < 5  # the defaults fit easily


def test_the_memory_limit_and_the_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    lesson = get_lesson("transformer-classification")
    wide = lesson.settings_type(samples=20_000, epochs=1, d_model=256, d_ff=512, n_layers=2)
    with pytest.raises(budget.OverBudget, match=r"would need about [\d.]+ GB of memory \(the limit is 500 MB\): "
                                                r"lower Sentences \(20,000\) or Model width \(256\)"):
        budget.check(lesson, wide, memory_mb=500, seconds=10_000)
    monkeypatch.setenv(budget.SECONDS_ENV, "0.5")
    with pytest.raises(budget.OverBudget, match="the limit is 1 second"):
        budget.check(lesson, lesson.settings_type())
    monkeypatch.setenv(budget.MB_ENV, "lots")
    with pytest.raises(ValueError, match="PIPELINE_TRACE_BUDGET_MB must be a number of MB, got 'lots'"):
        budget.limits()


def test_a_learners_file_counts_its_own_vocabulary_and_the_advice_names_it() -> None:
    lesson = get_lesson("sequence-classification")
    data = random_corpus(4000, 30_000)
    settings = lesson.settings_type(embed_dim=256, epochs=50)
    counts = budget.workload(lesson, settings, data)
    prepared = lesson.prepare(settings, data)
    assert counts.vocab == len(prepared.model.text.vocab) == MAX_VOCAB + 2  # capped as the lesson caps it
    assert prepared.info["words_left_out"] > 5_000  # of ~17,000 distinct words in the training split
    with pytest.raises(budget.OverBudget, match=r"or use a smaller data file \(it has 4,000 rows\)\.$"):
        budget.check(lesson, settings, data)


def test_the_command_line_refuses_a_run_over_the_budget_unless_told_yes(monkeypatch, capsys) -> None:
    from pipeline.cli.main import main

    monkeypatch.setenv(budget.SECONDS_ENV, "0.01")
    tiny = ["run", "sequence-classification", "--epochs", "1", "--samples", "100", "--device", "cpu"]
    assert main(tiny) == 2
    assert capsys.readouterr().err == ("pipeline-trace: error: This run would take about 1 second of training (the "
                                       "limit is 1 second): use smaller settings. Add --yes to train it anyway.\n")
    assert main([*tiny, "--yes"]) == 0


def random_corpus(rows: int, words: int) -> TextDataset:
    """Sentences of 8 words drawn from ``words`` made-up words: a learner's file with a huge vocabulary."""
    rng = random.Random(0)
    texts = [" ".join(f"w{rng.randrange(words)}" for _ in range(8)) for _ in range(rows)]
    return TextDataset(texts, [rng.randrange(3) for _ in range(rows)], ["a", "b", "c"], "random", "random")
