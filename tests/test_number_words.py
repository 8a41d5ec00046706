"""The generated number-words corpus: spelling, the seeded draw, validation of pairs, the split."""

import re

import pytest

from pipeline.data.number_words import LIMIT, ParallelCorpus, digits, generate, spell, translate
from pipeline.data.tokens import MAX_LEN, tokenize
from pipeline.errors import InputError


@pytest.mark.parametrize(("n", "words"), [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (20, "twenty"), (21, "twenty one"), (100, "one hundred"),
    (105, "one hundred and five"), (110, "one hundred and ten"), (1000, "one thousand"),
    (1005, "one thousand and five"), (2100, "two thousand one hundred"),
    (4305, "four thousand three hundred and five"), (9999, "nine thousand nine hundred and ninety nine"),
])
def test_spell_writes_numbers_the_british_way(n, words):
    assert spell(n) == words


def test_every_number_fits_the_lesson_and_is_spelled_once():
    spellings = [spell(k) for k in range(LIMIT)]
    assert len(set(spellings)) == LIMIT
    assert max(len(tokenize(s)) for s in spellings) == 7 <= MAX_LEN
    assert digits(4305) == "4 3 0 5" and digits(0) == "0"


@pytest.mark.parametrize("bad", [-1, LIMIT, 2.5, "7"])
def test_spell_names_the_bad_number(bad):
    with pytest.raises(ValueError, match=f"got {bad!r}"):
        spell(bad)


def test_generate_is_deterministic_distinct_and_covers_every_length():
    corpus = generate(1000, seed=0)
    assert corpus == generate(1000, seed=0)
    assert corpus.sources != generate(1000, seed=1).sources
    assert len(set(corpus.sources)) == 1000
    lengths = [len(t.split()) for t in corpus.targets]
    assert [lengths.count(k) for k in (1, 2, 3, 4)] == [10, 90, 300, 600]
    assert all(translate(s) == t for s, t in corpus.pairs())  # every pair is a correct translation


def test_generate_can_use_every_number_once():
    corpus = generate(LIMIT, seed=3)
    assert sorted(int(t.replace(" ", "")) for t in corpus.targets) == list(range(LIMIT))


@pytest.mark.parametrize("n", [9, LIMIT + 1, 100.0])
def test_generate_names_a_bad_size(n):
    with pytest.raises(ValueError, match=f"got {n!r}"):
        generate(n)


def test_translate_accepts_any_case_and_spacing_and_nothing_else():
    assert translate("  Four THOUSAND and   five ") == "4 0 0 5"
    assert translate("four thousand and five apples") is None
    assert translate("ten thousand") is None


def test_corpus_refuses_pairs_the_lesson_cannot_use():
    with pytest.raises(InputError, match="2 sources but 1 targets"):
        ParallelCorpus(["one", "two"], ["1"])
    with pytest.raises(InputError, match="empty"):
        ParallelCorpus([], [])
    message = "pair 1 ('a a a a a a a a a a a' -> '2'): the source has 11 tokens; it must have between 1 and 10"
    with pytest.raises(InputError, match=re.escape(message)):
        ParallelCorpus(["one", "a a a a a a a a a a a"], ["1", "2"])
    with pytest.raises(InputError, match=r"the target has 10 tokens; it must have between 1 and 9"):
        ParallelCorpus(["one"], ["1 " * 10])
    with pytest.raises(InputError, match="the target has 0 tokens"):
        ParallelCorpus(["one"], ["  "])


def test_split_is_seeded_disjoint_and_complete():
    corpus = generate(1000, seed=0)
    train, val = corpus.split(0.2, seed=0)
    assert (len(train), len(val)) == (800, 200)
    assert not set(train.sources) & set(val.sources)
    assert sorted(train.sources + val.sources) == sorted(corpus.sources)
    assert corpus.split(0.2, seed=0) == (train, val) and corpus.split(0.2, seed=1) != (train, val)
    with pytest.raises(ValueError, match=r"got 1\.5"):
        corpus.split(1.5)
