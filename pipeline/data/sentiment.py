"""A generated movie-review corpus: positive / negative / neutral sentences, deterministic under a seed.

Hard enough that learning shows across epochs: the label often hinges on word order ("not good",
"good but slow" vs "slow but good", "neither good nor bad"), and a few labels are flipped, as in
real annotations. Every sentence has at most ten tokens, so nothing decisive is cut by padding.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from pipeline.data.dataset import TextDataset

CLASSES = ("negative", "neutral", "positive")
NEG, NEU, POS = range(3)

SUBJECTS = ["the movie", "this film", "the acting", "the plot", "the music", "the ending", "the script",
            "the cast", "the story", "the dialogue", "this show", "the director", "the pacing", "the humour"]
GOOD = ["good", "great", "wonderful", "brilliant", "charming", "moving", "funny", "clever", "beautiful",
        "excellent", "superb", "delightful", "enjoyable", "fantastic", "gripping", "fresh"]
BAD = ["bad", "boring", "awful", "dull", "terrible", "weak", "clumsy", "predictable", "tedious", "poor",
       "painful", "messy", "bland", "dreadful", "slow", "silly"]
# Inputs whose answers a lesson follows epoch by epoch: plain praise, a negation, a contrast, a neutral fact.
PROBES = ("the acting was good", "the acting was not good", "the plot was dull but the music was brilliant",
          "the movie came out in march")
INTENSIFIERS = ["very", "really", "truly", "quite", "so", "pretty", "rather", "incredibly"]
LIKE = ["loved", "enjoyed", "liked", "adored", "admired"]
DISLIKE = ["hated", "disliked", "regretted", "resented", "endured"]
FACTS = ["is two hours long", "was shot in spain", "is based on a novel", "came out in march",
         "is in black and white", "is set in a small town", "has a sequel", "was filmed in winter",
         "is about a family", "runs on tuesday nights", "is in french", "opens next week"]
WHEN = ["yesterday", "last night", "on sunday", "at home", "with my sister", "on a plane", "in class"]
OPENERS = ["honestly ,", "overall", "i think", "for me"]


def _adj(words: list[str], rng: random.Random) -> str:
    word = rng.choice(words)
    return f"{rng.choice(INTENSIFIERS)} {word}" if rng.random() < 0.35 else word


def _two_subjects(rng: random.Random) -> tuple[str, str]:
    first, second = rng.sample(SUBJECTS, 2)
    return first, second


def _plain(rng: random.Random) -> tuple[str, int]:
    label = rng.choice([POS, NEG])
    words = GOOD if label == POS else BAD
    opener = f"{rng.choice(OPENERS)} " if rng.random() < 0.25 else ""
    return f"{opener}{rng.choice(SUBJECTS)} was {_adj(words, rng)}", label


def _verb(rng: random.Random) -> tuple[str, int]:
    label = rng.choice([POS, NEG])
    verb = rng.choice(LIKE if label == POS else DISLIKE)
    return f"i {verb} {rng.choice(SUBJECTS)}", label


def _negated(rng: random.Random) -> tuple[str, int]:
    # "not good" is negative; "not bad" reads as mildly positive.
    label = rng.choice([POS, NEG])
    words = BAD if label == POS else GOOD
    return f"{rng.choice(SUBJECTS)} was not {rng.choice(words)}", label


def _contrast(rng: random.Random) -> tuple[str, int]:
    # After "but", the second clause carries the verdict.
    label = rng.choice([POS, NEG])
    first_words, last_words = (BAD, GOOD) if label == POS else (GOOD, BAD)
    a, b = _two_subjects(rng)
    return f"{a} was {rng.choice(first_words)} but {b} was {rng.choice(last_words)}", label


def _neutral(rng: random.Random) -> tuple[str, int]:
    kind = rng.random()
    if kind < 0.5:
        return f"{rng.choice(SUBJECTS)} {rng.choice(FACTS)}", NEU
    if kind < 0.8:
        return f"i watched {rng.choice(SUBJECTS)} {rng.choice(WHEN)}", NEU
    return f"{rng.choice(SUBJECTS)} was neither {rng.choice(GOOD)} nor {rng.choice(BAD)}", NEU


# (generator, weight): simple sentences dominate, the order-sensitive ones make learning visible.
TEMPLATES: list[tuple[Callable[[random.Random], tuple[str, int]], float]] = [
    (_plain, 0.30), (_verb, 0.12), (_negated, 0.16), (_contrast, 0.14), (_neutral, 0.28),
]


def generate(n: int = 1000, seed: int = 0, noise: float = 0.03) -> TextDataset:
    """``n`` labelled review sentences; a fraction ``noise`` of labels is flipped at random."""
    if not 10 <= n <= 100_000:
        raise ValueError(f"n must be between 10 and 100000, got {n}")
    if not 0 <= noise < 0.5:
        raise ValueError(f"noise must be in [0, 0.5), got {noise}")
    rng, flips = random.Random(seed), random.Random(f"label-noise-{seed}")  # sentences don't depend on noise
    makers, weights = zip(*TEMPLATES, strict=True)
    texts, labels = [], []
    for _ in range(n):
        text, label = rng.choices(makers, weights)[0](rng)
        if flips.random() < noise:
            label = flips.choice([c for c in range(len(CLASSES)) if c != label])
        texts.append(text)
        labels.append(label)
    return TextDataset(texts, labels, list(CLASSES))
