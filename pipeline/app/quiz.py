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
from functools import singledispatch

from pipeline.content.lesson import Question
from pipeline.document.document import TraceDocument
from pipeline.document.timelapse import frames, probes_kept, space_views
from pipeline.document.views import (
    AttentionView,
    DecoderStepView,
    ImageView,
    LSTMGatesView,
    Mark,
    MatrixView,
    ProbabilitiesView,
    SpaceView,
    TextView,
    TokensView,
    VectorView,
    View,
)
from pipeline.render.describe import biggest_change, change, epoch_verdicts, fmt_dims, focus, reading, real_rows
from pipeline.render.numbers import count, percent
from pipeline.render.tables import fmt_shape


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
    shape = [n or 0 for n in stage.output_shape]  # no None: the stage was chosen for that
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
        given = "the image it traced (the Prediction page's first stage)" if p.layers and isinstance(
            p.layers[0], ImageView) else f"“{p.text}”"  # a picture's input is its pixels' code: no words to quote
        return _question(rng, f"What did your model answer for {given}, and how sure was it?", right, wrong,
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


def _moment_question(rng: random.Random, doc: TraceDocument) -> Question | None:
    """When, while it learned, did the first probe's kept stage change most?"""
    kept = probes_kept(doc.epochs)
    if not kept:
        return None
    pairs = next(iter(frames(doc.epochs, kept[0]).values()), [])
    return moment_question(pairs, f"“{kept[0]}”", rng)


GENERATORS: tuple[Callable[[random.Random, TraceDocument], Question | None], ...] = (
    _shape_question, _vocabulary_question, _answer_question, _parameters_question, _best_epoch_question,
    _moment_question)


def generated_questions(doc: TraceDocument) -> list[Question]:
    """Questions about this run, answered from its trace and numbers (the same run gives the same questions)."""
    seed = hashlib.sha256(repr((doc.title, doc.lesson.settings if doc.lesson else None,
                                doc.prediction.text if doc.prediction else "")).encode()).digest()
    rng = random.Random(seed)
    return [q for make in GENERATORS if (q := make(rng, doc)) is not None]


# --- predict, then reveal: a question about a stage before it is shown -----------------------------------------

@singledispatch
def _guess(view: View, rng: random.Random) -> Question | None:
    """A question about what this stage will show; by default the shape of what comes out, its dimensions named."""
    shape = [d for d in view.shape if d is not None]
    if len(shape) < 2:
        return None
    wrong = [shape[:-1], [*shape, shape[-1]], [*shape[:-1], shape[-1] * 2], shape[::-1]]
    return _question(rng, f"What shape comes out of “{view.title}”?", fmt_shape(shape), [fmt_shape(w) for w in wrong],
                     f"{fmt_shape(shape)}: {fmt_dims(view)}." if len(view.dims) == len(shape) else
                     f"The trace recorded {fmt_shape(shape)}.")


@_guess.register
def _(view: TextView, rng: random.Random) -> None:
    return None  # the text is what the learner typed: nothing to guess


@_guess.register
def _(view: ProbabilitiesView, rng: random.Random) -> Question | None:
    if len(view.labels) < 3:
        return _guess.dispatch(View)(view, rng)
    return _question(rng, "Which answer will the model give?", view.labels[view.best], list(view.labels),
                     reading(view))


@_guess.register
def _(view: TokensView, rng: random.Random) -> Question | None:
    if view.probs:  # what a decoder wrote
        tokens = view.written.split()
        if not tokens:
            return None
        wrong = [" ".join(tokens[::-1]), " ".join(tokens[:-1]) or "0", " ".join([*tokens, tokens[-1]]),
                 " ".join(["1", *tokens[1:]])]
        return _question(rng, "What will the model write?", view.written, wrong, reading(view))
    words = [t for t, m in zip(view.tokens, view.marks, strict=False) if m is not Mark.PAD]
    pads = len(view.ids) - len(words)
    wrong = [str(n) for n in (len(words), pads + 1, max(pads - 1, 0), len(view.ids), pads + 2) if n != pads]
    return _question(rng, f"Your input becomes {count(len(words), 'token')}. How many padding ids (<pad>) will fill "
                          f"it to the model's {len(view.ids)} positions?", str(pads), wrong, reading(view))


@_guess.register
def _(view: MatrixView, rng: random.Random) -> Question | None:
    at = focus(view).rows
    real = real_rows(view.row_marks, len(view.values))
    words = list(dict.fromkeys(view.rows[r] for r in real if r < len(view.rows)))
    if view.row_change and at and len(words) >= 3:
        return _question(rng, f"Which word's vector will change most from {view.change_from or 'the stage before'}?",
                         view.rows[at[0]], words, reading(view))
    if len(at) == 2 and len(words) >= 3:
        pair = lambda a, b: f"“{a}” and “{b}”"  # noqa: E731
        pairs = [pair(a, b) for i, a in enumerate(words) for b in words[i + 1:]]
        right = pair(view.rows[at[0]], view.rows[at[1]])
        return _question(rng, "Which two of your words will have the most alike vectors?", right,
                         [p for p in pairs if p != right], reading(view))
    return _guess.dispatch(View)(view, rng)


@_guess.register
def _(view: LSTMGatesView, rng: random.Random) -> Question | None:
    at = focus(view).rows
    choices = list(dict.fromkeys(view.tokens))
    if not at or len(choices) < 3:
        return _guess.dispatch(View)(view, rng)
    return _question(rng, "At which word will the forget gate close most (let most of the memory go)?",
                     view.tokens[at[0]], choices, reading(view))


@_guess.register
def _(view: AttentionView, rng: random.Random) -> Question | None:
    at = focus(view)
    cols = list(dict.fromkeys(view.cols[c] for c in real_rows(view.col_marks, len(view.cols))))
    if at.cols and len(cols) >= 3:
        return _question(rng, "Which of your words will draw the most attention?", view.cols[at.cols[0]], cols,
                         reading(view))
    if at.cells and len(cols) >= 3:
        r, c = at.cells[0]
        return _question(rng, f"Writing “{view.rows[r]}”, which source word will the decoder look at most?",
                         view.cols[c], cols, f"“{view.cols[c]}”, with {percent(view.weights[0][r][c])} of its "
                                             "attention.")
    return _guess.dispatch(View)(view, rng)


@_guess.register
def _(view: DecoderStepView, rng: random.Random) -> Question | None:
    if len(view.step.top) < 3:
        return _guess.dispatch(View)(view, rng)
    return _question(rng, f"The decoder reads “{view.step.input}”. Which token will it write next?",
                     view.step.chosen, [t for t, _ in view.step.top],
                     f"{reading(view)} It always takes its most likely token (greedy decoding).")


@_guess.register
def _(view: VectorView, rng: random.Random) -> Question | None:
    n = len(view.values)
    if not view.origin or n < 4:
        return _guess.dispatch(View)(view, rng)
    shape = [d for d in view.shape if d is not None]
    wrong = [f"{m:,}" for m in (n * 2, n // 2, n * 10, n + 1)]
    return _question(rng, "How many numbers will hold your whole input at this stage?", f"{n:,}", wrong,
                     f"{n:,}, whatever the input's length: {view.origin}."
                     + (f" Its shape: {fmt_dims(view)}." if len(view.dims) == len(shape) else ""))


def guess_question(view: View, seed: str = "") -> Question | None:
    """Predict, then reveal: a question about a stage before it is shown -- the answer, the word that matters most
    (most attention, the forget gate, the biggest change, the most alike vectors), how the input is padded, or the
    shape that comes out -- answered from the stage itself and explained in words. The same input and stage give
    the same question."""
    return _guess(view, random.Random(hashlib.sha256(f"{seed}|{view.key}".encode()).digest()))


# --- the time-lapse: questions from the moments where something changes ---------------------------------------

MOMENT_EPOCHS = 4  # a stage kept after at least this many epochs: three or more steps between them to choose from


def _subject(view: View) -> str:
    """What changes in a stage's time-lapse, with its verb: "do the LSTM's gates change"."""
    if isinstance(view, LSTMGatesView):
        return "do the LSTM's gates change"
    if isinstance(view, SpaceView):
        return "do the words move"
    if isinstance(view, AttentionView):
        return "does the attention change"
    return f"does “{view.title}” change"


def _words(view: View) -> list[str]:
    """The words a stage's picture is about (a choice of answers)."""
    if isinstance(view, LSTMGatesView):
        return list(dict.fromkeys(view.tokens))
    if isinstance(view, SpaceView):
        return list(dict.fromkeys(view.words[i] for i in view.marked))
    if isinstance(view, AttentionView):
        return list(dict.fromkeys(view.cols[c] for c in real_rows(view.col_marks, len(view.cols))))
    return []


def moment_question(pairs: Sequence[tuple[int, View]], about: str, rng: random.Random) -> Question | None:
    """Between which two epochs does this stage (``pairs``: (epoch, view) in order) change most -- and what changes?
    Asked before the time-lapse is watched; answered from the run's own frames. ``about`` names the input."""
    found = biggest_change(pairs) if len(pairs) >= MOMENT_EPOCHS else None
    if found is None:
        return None
    k, _ = found
    steps = [f"epoch {pairs[j - 1][0]} → {pairs[j][0]}" for j in range(1, len(pairs))]
    return _question(rng, f"While the model learns, between which two epochs {_subject(pairs[0][1])} most for "
                          f"{about}?", steps[k - 1], steps, epoch_verdicts(pairs)[k])


def word_question(pairs: Sequence[tuple[int, View]], about: str, rng: random.Random) -> Question | None:
    """Which word does this stage change most about, from the first epoch kept to the last? (``moment_question``
    when its words cannot be told apart.)"""
    moved = change(pairs[0][1], pairs[-1][1]) if len(pairs) >= 2 else None
    words = _words(pairs[-1][1]) if pairs else []
    if moved is None or moved.word not in words or len(words) < 3:
        return moment_question(pairs, about, rng)
    return _question(rng, _which_word(pairs[-1][1], pairs[0][0], pairs[-1][0], about), moved.word, words,
                     f"“{moved.word}”: {moved.line}")


def _which_word(view: View, first: int, last: int, about: str) -> str:
    when = f"From epoch {first} to epoch {last}"
    if isinstance(view, SpaceView):
        return f"{when}, which of your words moves most?"
    if isinstance(view, AttentionView):
        return f"{when}, which word's share of the attention changes most in {about}?"
    return f"{when}, at which word of {about} {_subject(view)} most?"


def timelapse_question(epochs: Sequence, info: Mapping, text: str, view: View, seed: str = "") -> Question | None:
    """``word_question`` for the stage ``view`` shows on the Prediction page (its time-lapse for ``text``): asked
    before the learner watches it."""
    pairs: list[tuple[int, View]]
    if isinstance(view, SpaceView):
        pairs = [(v.epoch, v) for v in space_views(epochs, info, [view.words[i] for i in view.marked])]
        about = "your words"
    else:
        pairs, about = frames(epochs, text).get(view.key, []), f"“{text}”"
    return word_question(pairs, about, random.Random(hashlib.sha256(f"{seed}|moment|{view.key}".encode()).digest()))


def guess_score(screens: Sequence[View], guesses: Mapping[tuple[str, int], int], text: str) -> tuple[int, int]:
    """(right, made) of the guesses made on ``text``'s stages (``guesses``: (input, stage index) -> choice)."""
    made = [(i, choice) for (t, i), choice in guesses.items() if t == text and 0 <= i < len(screens)]
    right = 0
    for i, choice in made:
        question = guess_question(screens[i], seed=text)
        right += question is not None and question.answer == choice
    return right, len(made)
