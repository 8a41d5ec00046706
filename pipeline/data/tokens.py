"""Text into tokens and ids, in plain Python (no torch): normalise, tokenise, the vocabulary, padding, and the check
every input passes first. ``pipeline.nn.text`` wraps the same steps as modules, so the tracer sees them."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

from pipeline.errors import InputError

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1
MAX_LEN = 10  # tokens per sequence after padding / truncation
MAX_VOCAB = 10_000  # words a lesson keeps from its training split (the most frequent); the rest read as <unk>
MAX_TEXT_CHARS = 10_000  # longer input is refused with a message rather than tokenised

_TOKEN = re.compile(r"\w+(?:'\w+)?|[^\w\s]")  # words (with an inner apostrophe) or single symbols
_DROP = {"Cc", "Cf", "Cs", "Co", "Cn"}  # control, format (zero-width), surrogate, private, unassigned


def check_text(text: object, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Return ``text`` if it is usable, else raise InputError naming the problem."""
    if not isinstance(text, str):
        raise InputError(f"Expected text, got {type(text).__name__}.")
    if len(text) > max_chars:
        raise InputError(f"The text is {len(text):,} characters long; the limit is {max_chars:,}.")
    if not normalize(text).strip():
        raise InputError("The text is empty: type a sentence with at least one word or symbol.")
    return text


def normalize(text: str) -> str:
    """Unicode NFKC, lower case, invisible and control characters removed, spaces collapsed."""
    if text.isascii() and text.isprintable():  # the common case: NFKC leaves it as it is and nothing is dropped
        return " ".join(text.casefold().split())
    return normalize_unicode(text)


def normalize_unicode(text: str) -> str:
    """``normalize`` character by character, for any text (``normalize`` takes a shortcut for printable ASCII)."""
    text = unicodedata.normalize("NFKC", text)
    kept = (" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch) not in _DROP)
    text = "".join(kept)
    return " ".join(text.casefold().split())


def tokenize(text: str) -> list[str]:
    """Split text into word and symbol tokens, normalised first: ``"It's not good!"`` -> ``it's not good !``."""
    return split(normalize(text))


def split(normalized: str) -> list[str]:
    """Words (with an inner apostrophe) and single symbols of text already normalised."""
    return _TOKEN.findall(normalized)


def pad(ids: Sequence[int], max_len: int = MAX_LEN) -> list[int]:
    """Truncate to ``max_len`` ids, then fill with ``PAD_ID`` up to ``max_len``."""
    kept = list(ids[:max_len])
    return kept + [PAD_ID] * (max_len - len(kept))


class Vocabulary:
    """Maps tokens to ids and back; id 0 is ``<pad>`` and id 1 is ``<unk>``.

    Args:
        tokens: the known tokens, in id order (duplicates and the two special tokens are skipped).
        dropped: how many distinct tokens were left out of the vocabulary (they read as ``<unk>``).
    """

    def __init__(self, tokens: Iterable[str], dropped: int = 0) -> None:
        self.itos = [PAD, UNK, *(t for t in dict.fromkeys(tokens) if t not in (PAD, UNK))]
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        self.dropped = dropped

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], min_freq: int = 1, max_size: int | None = None
              ) -> Vocabulary:
        """Vocabulary of the ``max_size`` most frequent tokens seen at least ``min_freq`` times.

        Ties are broken alphabetically, so the same data always gives the same ids. ``max_size`` counts
        tokens besides ``<pad>`` and ``<unk>``; ``None`` keeps every token.
        """
        if max_size is not None and max_size < 1:
            raise ValueError(f"max_size must be at least 1 or None, got {max_size}")
        counts = Counter(t for tokens in token_lists for t in tokens if t not in (PAD, UNK))
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        kept = [t for t, c in ranked if c >= min_freq][:max_size]
        return cls(kept, dropped=len(counts) - len(kept))

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self.stoi.get(t, UNK_ID) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] if 0 <= i < len(self.itos) else UNK for i in ids]
