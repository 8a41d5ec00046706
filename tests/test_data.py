"""The generated sentiment corpus and the validated CSV loader."""

import pytest

from pipeline.data import load_csv
from pipeline.data.sentiment import CLASSES, generate
from pipeline.text import InputError, tokenize


def test_corpus_is_deterministic_and_varies_with_the_seed():
    assert generate(1000, seed=3) == generate(1000, seed=3)
    assert generate(1000, seed=3).texts != generate(1000, seed=4).texts


def test_corpus_has_three_classes_variable_lengths_and_hard_cases():
    data = generate(1000, seed=0)
    lengths = [len(tokenize(t)) for t in data.texts]
    assert len(data) == 1000 and data.classes == list(CLASSES)
    assert {data.labels.count(c) / 1000 > 0.2 for c in range(3)} == {True}
    assert min(lengths) <= 4 and 8 <= max(lengths) <= 10  # variable, and never cut by padding to 10
    assert sum(" not " in t for t in data.texts) > 100
    assert sum(" but " in t for t in data.texts) > 100
    assert sum("neither" in t for t in data.texts) > 20


def test_label_noise_flips_about_the_requested_fraction():
    clean, noisy = generate(4000, seed=1, noise=0.0), generate(4000, seed=1, noise=0.1)
    assert clean.texts == noisy.texts
    flipped = sum(a != b for a, b in zip(clean.labels, noisy.labels, strict=True)) / 4000
    assert 0.08 < flipped < 0.12


def test_split_is_disjoint_and_seeded():
    data = generate(200, seed=0)
    train, val = data.split(0.2, seed=5)
    assert (len(train), len(val)) == (160, 40)
    assert data.split(0.2, seed=5) == (train, val)


def test_load_csv_reads_text_and_label_columns():
    data = load_csv(b"\xef\xbb\xbftext,label\n\"great, really\",pos\nawful,neg\nfine,pos\n")
    assert data.texts == ["great, really", "awful", "fine"]
    assert data.classes == ["neg", "pos"] and data.labels == [1, 0, 1]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"   \n", "is empty"),
    (b"sentence,label\nhi,a\n", "no column 'text' \\(found: sentence, label\\)"),
    (b"text\nhello\n", "no column 'label'"),
    (b"text,label\n", "header but no rows"),
    (b"text,label\nhi,a\nho,a\n", "only one class \\('a'\\)"),
    (b"text,label\ncaf\xe9,a\n", "not UTF-8 text \\(invalid byte 0xe9"),
    (b"text,label\n,a\nhi,b\n", "line 2: the text is empty"),
    (b"text,label\nhi,\nho,b\n", "line 2: the label is empty"),
    (b'text,label\n"unclosed,a\nx,b\n', "not a valid CSV"),
])
def test_load_csv_names_the_problem(content, message):
    with pytest.raises(InputError, match=message):
        load_csv(content, name="upload.csv")


def test_load_csv_refuses_a_file_that_is_too_large():
    with pytest.raises(InputError, match="MB; the limit is 5 MB"):
        load_csv(b"text,label\n" + b"a,b\n" * 1_300_000)
