"""A generated parallel corpus: numbers written in words -> the same numbers as digits.

    "four thousand three hundred and twenty one" -> "4 3 2 1"
    "seven hundred and five"                     -> "7 0 5"

A translation task a learner can check at a glance, with the things that make translation hard in
miniature: the output has a different length from the input, and some output tokens have no word
of their own (the zeros in "seven hundred and five"). Numbers are drawn without replacement from
0..9,999, so a held-out pair is a number the model has never seen. Short numbers get a fair share
of the corpus: uniform draws would be 90% four-digit numbers, and a model trained on those answers
"seven" with "7 7 0". Sources have at most seven words and targets at most four digits, well
inside the lesson's ten timesteps.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from pipeline.data.tokens import MAX_LEN, normalize, tokenize
from pipeline.errors import InputError

LIMIT = 10_000  # numbers 0 .. LIMIT - 1 can be generated
ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
LENGTH_SHARES = (0.1, 0.2, 0.3, 0.4)  # of a corpus, for 1-, 2-, 3- and 4-digit numbers


@dataclass(frozen=True)
class ParallelCorpus:
    """Aligned source and target sentences, as words; each side fits the lesson's ``MAX_LEN`` tokens.

    A target needs one timestep more than its tokens (for ``<eos>``), so it may have ``MAX_LEN - 1``.
    """

    sources: list[str]
    targets: list[str]

    def __post_init__(self) -> None:
        if len(self.sources) != len(self.targets):
            raise InputError(f"{len(self.sources)} sources but {len(self.targets)} targets")
        if not self.sources:
            raise InputError("the corpus is empty: it needs at least one source/target pair")
        for i, (src, tgt) in enumerate(self.pairs()):
            for side, text, limit in (("source", src, MAX_LEN), ("target", tgt, MAX_LEN - 1)):
                n = len(tokenize(text))
                if not 1 <= n <= limit:
                    raise InputError(f"pair {i} ({src!r} -> {tgt!r}): the {side} has {n} tokens; "
                                     f"it must have between 1 and {limit}")

    def __len__(self) -> int:
        return len(self.sources)

    def pairs(self) -> list[tuple[str, str]]:
        return list(zip(self.sources, self.targets, strict=True))

    def subset(self, indices: list[int]) -> ParallelCorpus:
        return ParallelCorpus([self.sources[i] for i in indices], [self.targets[i] for i in indices])

    def split(self, val_fraction: float = 0.2, seed: int = 0) -> tuple[ParallelCorpus, ParallelCorpus]:
        """A shuffled (train, validation) split; the same seed gives the same split."""
        if not 0 < val_fraction < 1:
            raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
        if len(self) < 2:
            raise ValueError(f"a split needs at least 2 pairs, got {len(self)}")
        order = list(range(len(self)))
        random.Random(seed).shuffle(order)
        n_val = min(len(order) - 1, max(1, round(len(order) * val_fraction)))
        return self.subset(order[n_val:]), self.subset(order[:n_val])


def spell(n: int) -> str:
    """``n`` in words, British style: ``4305`` -> ``"four thousand three hundred and five"``."""
    if not isinstance(n, int) or not 0 <= n < LIMIT:
        raise ValueError(f"n must be an integer between 0 and {LIMIT - 1}, got {n!r}")
    if n == 0:
        return "zero"
    thousands, hundreds, rest = n // 1000, n // 100 % 10, n % 100
    words = []
    if thousands:
        words += [ONES[thousands], "thousand"]
    if hundreds:
        words += [ONES[hundreds], "hundred"]
    if rest:
        if words:
            words.append("and")
        words += [ONES[rest]] if rest < 20 else [TENS[rest // 10]] + ([ONES[rest % 10]] if rest % 10 else [])
    return " ".join(words)


def digits(n: int) -> str:
    """``n`` as space-separated digits, one token each: ``4305`` -> ``"4 3 0 5"``."""
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return " ".join(str(n))


def generate(n: int = 1000, seed: int = 0) -> ParallelCorpus:
    """``n`` different numbers between 0 and 9,999, as (words, digits) pairs in a seeded random order.

    Each length gets its ``LENGTH_SHARES`` of the ``n`` numbers, as far as there are enough of
    them; four-digit numbers fill the rest. For ``n = 1000``: all 10 one-digit and 90 two-digit
    numbers, 300 three-digit and 600 four-digit ones.
    """
    if not isinstance(n, int) or not 10 <= n <= LIMIT:
        raise ValueError(f"n must be between 10 and {LIMIT}, got {n!r}")
    rng = random.Random(seed)
    ranges = [range(0, 10), range(10, 100), range(100, 1000), range(1000, LIMIT)]
    quotas = [min(len(r), round(n * share)) for r, share in zip(ranges, LENGTH_SHARES, strict=True)]
    for i in reversed(range(len(ranges))):  # hand what is still missing to the longest numbers first
        quotas[i] += min(len(ranges[i]) - quotas[i], n - sum(quotas))
    numbers = [k for r, q in zip(ranges, quotas, strict=True) for k in rng.sample(r, q)]
    rng.shuffle(numbers)
    return ParallelCorpus([spell(k) for k in numbers], [digits(k) for k in numbers])


def translate(text: str) -> str | None:
    """The digits for a number written exactly as the corpus writes it, else None."""
    return _answers().get(normalize(text))


@cache
def _answers() -> dict[str, str]:
    return {spell(k): digits(k) for k in range(LIMIT)}


_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 10**12}


def read_number(text: str) -> int | None:
    """A lenient reading of a number in words and/or digits ("999 thousand", "two million"), or None."""
    total = current = 0
    words = tokenize(text)
    for w in words:
        if w.isdigit() and len(w) <= 15:
            current += int(w)
        elif w in ONES:
            current += ONES.index(w)
        elif w in TENS[2:]:
            current += 10 * TENS.index(w)
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in _SCALES:
            total, current = total + (current or 1) * _SCALES[w], 0
        elif w not in {"and", "a"}:
            return None
    return total + current if words else None


def coverage_note(text: str) -> str | None:
    """A note when ``text`` is a number this lesson does not cover as written, saying why; else None."""
    if translate(text) is not None:
        return None
    value = read_number(text)
    if value is None:
        return None
    if value >= LIMIT:
        return (f"That is {value:,}: outside what this lesson covers. The model learnt the numbers 0 to "
                f"{LIMIT - 1:,}, so its answer here is a guess.")
    if any(w.isdigit() for w in tokenize(text)):
        return (f"The model reads numbers written in words only; it has never seen digits. In words, {value:,} is "
                f"“{spell(value)}”.")
    return f"The lesson writes {value:,} as “{spell(value)}”; the model learnt that form only."
