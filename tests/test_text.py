"""Tokenizer, vocabulary, padding and the traced text pipeline."""

import pytest

from pipeline.data.tokens import MAX_TEXT_CHARS, PAD_ID, UNK_ID, Vocabulary, check_text, normalize, pad, tokenize
from pipeline.errors import InputError
from pipeline.nn.text import TextPipeline
from pipeline.trace import trace


def test_tokenize_splits_words_and_symbols_and_lowercases():
    assert tokenize("It's NOT good!") == ["it's", "not", "good", "!"]
    assert tokenize("  the   movie\twas\nfine ") == ["the", "movie", "was", "fine"]


def test_normalize_unifies_unicode_and_drops_invisible_characters():
    assert normalize("ＧＯＯＤ") == "good"  # full-width letters (NFKC)
    assert normalize("go\u200bod\u0007 film") == "good film"  # zero-width space and a bell character
    assert tokenize("great 😀😀") == ["great", "😀", "😀"]


def test_vocabulary_reserves_pad_and_unk_and_orders_by_frequency():
    vocab = Vocabulary.build([["b", "a", "b"], ["c", "b", "a"]])
    assert vocab.itos[:2] == ["<pad>", "<unk>"] and vocab.stoi["<pad>"] == PAD_ID
    assert vocab.itos[2:] == ["b", "a", "c"]
    assert vocab.encode(["a", "zebra"]) == [3, UNK_ID]
    assert vocab.decode([2, 0, 99]) == ["b", "<pad>", "<unk>"]


def test_vocabulary_cap_keeps_the_most_frequent_tokens_and_counts_the_rest():
    lists = [["a", "b", "b", "c", "c", "d", "d", "d"], ["e"]]
    vocab = Vocabulary.build(lists, max_size=3)
    assert vocab.itos[2:] == ["d", "b", "c"]  # d (3), then b and c (2 each) alphabetically; a and e (1) dropped
    assert vocab.dropped == 2 and vocab.encode(["a", "e"]) == [UNK_ID, UNK_ID]
    assert Vocabulary.build(reversed(lists), max_size=3).itos == vocab.itos  # order of the data does not matter
    assert Vocabulary.build([["z", "a", "z", "a", "m"]], max_size=1).itos[2:] == ["a"]  # a tie at the cut
    assert Vocabulary.build(lists, min_freq=2, max_size=2).dropped == 3  # min_freq drops count too
    assert (Vocabulary.build(lists).dropped, Vocabulary.build(lists, max_size=99).dropped) == (0, 0)
    assert len(Vocabulary.build([["<unk>", "<pad>", "x"]], max_size=1)) == 3  # specials are not counted
    with pytest.raises(ValueError, match="max_size must be at least 1 or None, got 0"):
        Vocabulary.build(lists, max_size=0)


def test_pad_truncates_and_fills():
    assert pad([5, 6], 4) == [5, 6, PAD_ID, PAD_ID]
    assert pad(list(range(2, 20)), 10) == list(range(2, 12))


def test_check_text_rejects_empty_whitespace_and_huge_text_with_a_reason():
    for bad, reason in [("", "empty"), ("  \n\t ", "empty"), ("\u200b\u200b", "empty"),
                        ("x" * (MAX_TEXT_CHARS + 1), "10,001 characters"), (None, "Expected text")]:
        with pytest.raises(InputError, match=reason):
            check_text(bad)
    assert check_text("x" * MAX_TEXT_CHARS)


def test_text_pipeline_is_traced_from_raw_text_to_padded_ids():
    vocab = Vocabulary.build([tokenize("the film was good")])
    pipeline = TextPipeline(vocab, max_len=6)
    with trace(pipeline) as t:
        ids = pipeline(["The film was GOOD", "awful film"])
    stages = t.children()
    assert vocab.itos[2:] == ["film", "good", "the", "was"]  # equal counts: alphabetical
    assert ids.tolist() == [[4, 2, 5, 3, 0, 0], [1, 2, 0, 0, 0, 0]]
    assert [s.name for s in stages] == ["normalize", "tokenize", "encode_pad"]
    assert [s.output_shape for s in stages] == [[2, None], [2, None], [2, 6]]
    assert stages[1].sample == ["the", "film", "was", "good"]
