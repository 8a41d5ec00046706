"""The glossary: each word a lesson uses, in one sentence, found in any text that uses it.

The words are data (``glossary.toml``, validated on load); a page shows, beside a stage, the entries
for the words in that stage's title and description.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache, lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

GLOSSARY = Path(__file__).with_name("glossary.toml")
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class Term(BaseModel):
    """One entry: the word, other forms that find it, and its definition in one sentence."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    term: Text
    also: list[Text] = []
    definition: Text

    def pattern(self) -> re.Pattern[str]:
        forms = sorted({self.term, *self.also}, key=len, reverse=True)
        words = "|".join(re.escape(f) for f in forms)
        return re.compile(rf"(?<![\w<])(?:{words})(?:s|es)?(?![\w>])", re.IGNORECASE)


class Glossary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    terms: list[Term] = Field(min_length=1)


@cache
def glossary() -> tuple[Term, ...]:
    """Every entry, in the file's order (validated once)."""
    return tuple(Glossary.model_validate(tomllib.loads(GLOSSARY.read_text(encoding="utf-8"))).terms)


def terms_in(*texts: str) -> list[Term]:
    """The entries whose word (or another form of it) appears in ``texts``, in the glossary's order."""
    return list(_terms_in(" ".join(texts)))


@lru_cache(maxsize=1024)
def _terms_in(joined: str) -> tuple[Term, ...]:
    # every stage shows its glossary at each draw: a class of 200 following a move asked for the same one 200 times
    return tuple(t for t in glossary() if t.pattern().search(joined))
