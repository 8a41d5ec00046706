"""Display names: cleaned of invisible characters, bounded, and made unique within a class."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection

from pipeline.classroom.errors import InvalidName

MAX_NAME = 40
# control, format (bidi overrides, zero-width joiners), surrogate, private use, unassigned
_DROPPED = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_name(name: str) -> str:
    """``name`` in NFC with invisible characters removed and runs of whitespace collapsed.

    Raises :class:`InvalidName` when nothing visible is left or the result is over 40 characters.
    """
    if not isinstance(name, str):
        raise InvalidName(f"display name must be text, got {type(name).__name__}")
    visible = "".join(" " if c.isspace() else c for c in unicodedata.normalize("NFC", name)
                      if c.isspace() or unicodedata.category(c) not in _DROPPED)
    cleaned = " ".join(visible.split())
    if not cleaned:
        raise InvalidName("display name is empty once spaces and invisible characters are removed")
    if len(cleaned) > MAX_NAME:
        raise InvalidName(f"display name must be at most {MAX_NAME} characters, got {len(cleaned)}: {cleaned[:20]!r}…")
    return cleaned


def unique_name(name: str, taken: Collection[str]) -> str:
    """``name``, or ``"name (2)"``, ``"name (3)"``… — the first that is not in ``taken`` (case-insensitive)."""
    folded = {t.casefold() for t in taken}
    if name.casefold() not in folded:
        return name
    n = 2
    while True:
        suffix = f" ({n})"
        candidate = name[: MAX_NAME - len(suffix)].rstrip() + suffix
        if candidate.casefold() not in folded:
            return candidate
        n += 1
