"""The quiz: scoring and labels, and questions generated from a learner's own run.

Generated questions are answered from the trace and the run's numbers -- the shapes of their batch,
their vocabulary, what their model predicted and how sure it was -- so each learner (or, in a class,
everyone following the teacher's run) answers about the model on their screen.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Mapping, Sequence

from pipeline.content import Question
from pipeline.document import TraceDocument
from pipeline.render.tables import fmt_shape
from pipeline.views import DecoderStepView, ProbabilitiesView, TextView, View

LETTERS = "ABCDEF"  # choices are labelled A, B, C, ...


def choice_label(question: Question, index: int) -> str:
    """``"B. A context vector"``."""
    return f"{LETTERS[index]}. {question.choices[index]}"


def quiz_score(questions: Sequence[Question], answers: Mapping[int, int]) -> tuple[int, int]:
    """(correct, answered) for the answers given so far, by question index."""
    correct = sum(1 for i, choice in answers.items() if 0 <= i < len(questions) and questions[i].answer == choice)
    return correct, len(answers)


def _question(rng: random.Random, text: str, right: str, wrong: Sequence[str], explanation: str) -> Question | None:
    """A question with ``right`` among up to three distinct wrong choices, in a shuffled (seeded) order."""
    others = list(dict.fromkeys(w for w in wrong if w != right))[:3]
    if len(others) < 2:
        return None
    choices = [right, *others]
    rng.shuffle(choices)
    return Question(question=text, choices=choices, answer=choices.index(right), explanation=explanation)


def _near(n: int) -> list[str]:
    """Plausible wrong counts near ``n``."""
    return [f"{m:,}" for m in (n * 2, max(1, n // 2), n + 10 if n > 20 else n + 2, max(1, n - 7))]


def _shape_question(rng: random.Random, doc: TraceDocument) -> Question | None:
    stage = next((s for s in doc.stages if len(s.output_shape) >= 3 and None not in s.output_shape), None)
    if stage is None:
        return None
    shape = list(stage.output_shape)
    wrong = [shape[:-1], shape[:-2] + shape[:-3:-1], [*shape[:-1], shape[-1] * 2], [shape[0], shape[-1]]]
    return _question(rng, f"Your model read the whole dataset in one pass. What shape came out of the "
                          f"“{stage.title}” stage?", fmt_shape(shape), [fmt_shape(w) for w in wrong],
                     f"The trace recorded {fmt_shape(shape)}: {shape[0]:,} examples, then one row per position "
                     f"and {shape[-1]:,} numbers in each.")


def _vocabulary_question(rng: random.Random, doc: TraceDocument) -> Question | None:
    info = doc.lesson.info if doc.lesson else {}
    size = info.get("vocab_size", info.get("source_vocab_size"))
    if not isinstance(size, int):
        return None
    return _question(rng, "How many different tokens does your model's vocabulary hold (<pad> and <unk> included)?",
                     f"{size:,}", _near(size), f"{size:,}: every token of the training texts, plus <pad> (id 0) and "
                     "<unk> (id 1) for padding and for words it never saw in training.")


def _answer_question(rng: random.Random, doc: TraceDocument) -> Question | None:
    p = doc.prediction
    if p is None or not math.isfinite(p.confidence):
        return None
    classes = (doc.lesson.info.get("classes") if doc.lesson else None) or []
    if classes and p.output in classes:
        sure = round(p.confidence * 100)
        right = f"{p.output}, about {sure}% sure"
        wrong = [f"{c}, about {sure}% sure" for c in classes if c != p.output]
        wrong += [f"{p.output}, about {min(99, sure + 30) if sure < 60 else max(1, sure - 40)}% sure"]
        return _question(rng, f"What did your model answer for “{p.text}”, and how sure was it?", right, wrong,
                         f"The softmax gave “{p.output}” {p.confidence:.1%}, the largest of its {len(classes)} "
                         "probabilities.")
    tokens = p.output.split()
    if not tokens:
        return None
    wrong = [" ".join(tokens[::-1]), " ".join(tokens[:-1]) or "0", " ".join([*tokens, tokens[-1]])]
    return _question(rng, f"What did your model write for “{p.text}”?", p.output, wrong,
                     f"Step by step the decoder chose “{p.output}”, each time its most likely token "
                     f"(together {p.confidence:.0%} likely).")


def _parameters_question(rng: random.Random, doc: TraceDocument) -> Question | None:
    root = doc.trace.get("")
    if root is None or root.num_params < 10:
        return None
    n = root.num_params
    return _question(rng, "How many numbers (parameters) did your model learn?", f"{n:,}", _near(n),
                     f"{n:,}: the trace counts every weight and bias of every layer of the model.")


def _best_epoch_question(rng: random.Random, doc: TraceDocument) -> Question | None:
    if len(doc.epochs) < 3:
        return None
    accuracies = [e.val_accuracy if math.isfinite(e.val_accuracy) else -1.0 for e in doc.epochs]
    best = doc.epochs[accuracies.index(max(accuracies))]
    wrong = [str(e.epoch) for e in doc.epochs if e is not best]
    rng.shuffle(wrong)
    return _question(rng, "After which epoch was your model's validation accuracy highest?", str(best.epoch), wrong,
                     f"Epoch {best.epoch}: {best.val_accuracy:.1%} of the held-out examples right.")


GENERATORS: tuple[Callable[[random.Random, TraceDocument], Question | None], ...] = (
    _shape_question, _vocabulary_question, _answer_question, _parameters_question, _best_epoch_question)


def generated_questions(doc: TraceDocument) -> list[Question]:
    """Questions about this run, answered from its trace and numbers (the same run gives the same questions)."""
    seed = hashlib.sha256(repr((doc.title, doc.lesson.settings if doc.lesson else None,
                                doc.prediction.text if doc.prediction else "")).encode()).digest()
    rng = random.Random(seed)
    return [q for make in GENERATORS if (q := make(rng, doc)) is not None]


def guess_question(view: View, seed: str = "") -> Question | None:
    """Predict, then reveal: a question about a stage before it is shown (its answer, or its output's shape)."""
    rng = random.Random(hashlib.sha256(f"{seed}|{view.key}".encode()).digest())
    if isinstance(view, ProbabilitiesView) and len(view.labels) >= 3:
        right = view.labels[view.best]
        return _question(rng, "Which answer will the model give?", right, list(view.labels),
                         f"“{right}”, with {view.values[view.best]:.0%}.")
    if isinstance(view, DecoderStepView) and len(view.step.top) >= 3:
        return _question(rng, f"The decoder reads “{view.step.input}”. Which token will it write next?",
                         view.step.chosen, [t for t, _ in view.step.top],
                         f"“{view.step.chosen}”: always its most likely token (greedy decoding).")
    shape = [d for d in view.shape if d is not None]
    if isinstance(view, TextView) or len(shape) < 2:  # text has no tensor shape to guess
        return None
    wrong = [shape[:-1], [*shape, shape[-1]], [*shape[:-1], shape[-1] * 2], shape[::-1]]
    return _question(rng, f"What shape comes out of “{view.title}”?", fmt_shape(shape), [fmt_shape(w) for w in wrong],
                     f"{fmt_shape(shape)}: one example ({shape[0]}), then {' × '.join(str(d) for d in shape[1:])}.")
