"""Property-based tests: the text pipeline and the CSV loader on arbitrary and hostile input.

Whatever a learner types or uploads, the only exception allowed out is InputError, and whatever is
accepted satisfies the invariants the rest of the code relies on. Settings are fixed and derandomized,
so CI sees the same examples on every run.
"""

import codecs
import hashlib
from collections import Counter

import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.data import MAX_CLASSES, MAX_LABEL_CHARS, MAX_ROWS, MIN_ROWS_PER_CLASS, TextDataset, load_csv_bytes
from pipeline.data.tokens import (
    MAX_TEXT_CHARS,
    PAD_ID,
    UNK,
    Vocabulary,
    check_text,
    normalize,
    normalize_unicode,
    pad,
    tokenize,
)
from pipeline.errors import InputError
from pipeline.nn.text import TextPipeline

FAST = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SLOW = settings(FAST, max_examples=50)

# Characters that break naive text handling: combining marks, right-to-left text and bidi controls,
# zero-width and other invisible characters, odd spaces and line breaks, emoji sequences, compatibility forms.
TRICKY = ["\u0301", "\u0308\u0308", "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627", "\u202e", "\u2066",
          "\u200b", "\u200d", "\ufeff", "\u00ad", "\u00a0", "\u3000", "\u2028", "\x85", "\x1c", "\r\n", "\t",
          "\U0001f600", "\U0001f469\u200d\U0001f4bb", "\U0001f1eb\U0001f1f7", "\ufb01", "\u2460", "\uff27",
          "\u0130", "\u00df", "\u03a3", "\u1e9e", "\x00", "\x7f", "\U000e0041", "\U0010fffd", "<b>", "**"]
texts = st.lists(st.characters(codec="utf-8") | st.sampled_from(TRICKY), max_size=30).map("".join)


def only_input_errors(call, *args):
    """``call(*args)``, or None when it raises InputError (any other exception fails the test)."""
    try:
        return call(*args)
    except InputError as e:
        assert str(e) and "\n" not in str(e)
        return None


# --- the text pipeline ------------------------------------------------------------------------------------------


@FAST
@given(texts)
def test_normalize_is_idempotent_and_leaves_single_spaces_only(text):
    once = normalize(text)
    assert normalize(once) == once
    assert once == once.strip() and "  " not in once and all(not c.isspace() or c == " " for c in once)


@FAST
@given(st.text(st.characters(min_codepoint=0, max_codepoint=127)) | texts)
@example("  The Plot,  was GOOD! ")
@example("tab\there")
def test_the_printable_ascii_shortcut_gives_what_the_unicode_path_gives(text):
    assert normalize(text) == normalize_unicode(text)


@FAST
@given(texts)
def test_tokens_are_never_empty_and_never_contain_whitespace(text):
    tokens = tokenize(text)
    assert all(t and not any(c.isspace() for c in t) for t in tokens)
    assert bool(tokens) == bool(normalize(text))


@FAST
@given(st.one_of(texts, st.none(), st.integers(), st.binary()))
def test_check_text_returns_its_input_or_raises_input_error(value):
    result = only_input_errors(check_text, value)
    assert result is None or (result is value and tokenize(result))


@FAST
@given(st.lists(st.integers(-5, 10**6)), st.integers(1, 40))
def test_pad_always_gives_max_len_ids_and_keeps_the_prefix(ids, max_len):
    padded = pad(ids, max_len)
    n = min(len(ids), max_len)
    assert len(padded) == max_len and padded[:n] == ids[:n] and set(padded[n:]) <= {PAD_ID}


@FAST
@given(st.lists(texts, min_size=1, max_size=6), st.lists(texts, max_size=6), st.none() | st.integers(1, 8))
def test_encode_decode_round_trips_known_tokens_and_the_rest_read_as_unk(corpus, queries, max_size):
    vocab = Vocabulary.build((tokenize(t) for t in corpus), max_size=max_size)
    distinct = {t for text in corpus for t in tokenize(text)}
    assert len(vocab) - 2 + vocab.dropped == len(distinct)
    assert max_size is None or len(vocab) - 2 <= max_size
    for text in queries + corpus:
        tokens = tokenize(text)
        decoded = vocab.decode(vocab.encode(tokens))
        assert decoded == [t if t in vocab.stoi else UNK for t in tokens]


@SLOW
@given(st.lists(texts, min_size=1, max_size=8), st.lists(texts, max_size=4), st.integers(1, 12))
def test_the_text_pipeline_module_turns_any_batch_into_a_b_by_max_len_id_tensor(corpus, batch, max_len):
    pipeline = TextPipeline(Vocabulary.build(tokenize(t) for t in corpus), max_len)
    ids = pipeline(batch)
    assert ids.shape == (len(batch), max_len) and ids.dtype == torch.long
    assert ids.numel() == 0 or (int(ids.min()) >= 0 and int(ids.max()) < len(pipeline.vocab))


# --- the CSV loader ---------------------------------------------------------------------------------------------


def assert_valid_dataset(data: TextDataset, raw: bytes) -> None:
    """What the lessons rely on in any dataset the loader accepts."""
    counts = Counter(data.labels)
    assert 2 <= len(data.classes) <= MAX_CLASSES and data.classes == sorted(set(data.classes))
    assert sorted(counts) == list(range(len(data.classes))) and min(counts.values()) >= MIN_ROWS_PER_CLASS
    assert len(data.texts) == len(data.labels) <= MAX_ROWS
    assert all(normalize(t) and len(t) <= MAX_TEXT_CHARS for t in data.texts)
    assert all(c and c == c.strip() and len(c) <= MAX_LABEL_CHARS for c in data.classes)
    assert data.sha256 == hashlib.sha256(raw).hexdigest() and data.source == "upload.csv"


def load_or_refuse(raw: bytes) -> TextDataset | None:
    data = only_input_errors(load_csv_bytes, raw, "upload.csv")
    if data is not None:
        assert_valid_dataset(data, raw)
    return data


@FAST
@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_loaded_or_refused_with_an_input_error(raw):
    load_or_refuse(raw)


@FAST
@given(st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"text,label\n"]),
       st.binary(max_size=400))
def test_bytes_after_a_byte_order_mark_or_a_header_are_loaded_or_refused(prefix, raw):
    load_or_refuse(prefix + raw)


@FAST
@given(st.text(max_size=400))
def test_arbitrary_utf8_text_is_loaded_or_refused_with_an_input_error(text):
    load_or_refuse(text.encode())
    load_or_refuse(("text,label\n" + text).encode())


LABELS = ["pos", "neg", " pos ", "neutral", "<i>x</i>", "\U0001f600", "", " ", "\u200b"]
WORDS = ["great film", "awful, truly", 'he said "no"', "two\nlines", " leading space", "tab\tin", "x" * 50]
no_nul = texts.map(lambda t: t.replace("\0", ""))
row_texts = st.sampled_from(WORDS) | no_nul.map(lambda t: t + " ok")


def field(text: str, quote_all: bool) -> str:
    """One CSV field, quoted when it has to be (or always); spaces after a comma are skipped unless quoted."""
    if quote_all or any(c in text for c in ',"\r\n') or text[:1] == " ":
        return '"' + text.replace('"', '""') + '"'
    return text


@st.composite
def csv_files(draw):
    """(raw bytes, the decoded content, rows as (text, label)) for a CSV written in a random but correct way."""
    order = draw(st.permutations(["text", "label", *draw(st.sampled_from([[], ["id"], ["id", "note"]]))]))
    labels = draw(st.lists(st.sampled_from(LABELS) | no_nul.map(lambda t: t[:4]), min_size=2, max_size=4,
                           unique_by=str.strip))
    per_class = draw(st.sampled_from([MIN_ROWS_PER_CLASS, MIN_ROWS_PER_CLASS + 2, MIN_ROWS_PER_CLASS - 1]))
    rows = draw(st.permutations([(draw(row_texts), label) for label in labels for _ in range(per_class)]))
    if draw(st.booleans()):  # one raw text, which may be empty or hold a NUL
        at = draw(st.integers(0, len(rows) - 1))
        rows[at] = (draw(texts), rows[at][1])
    quote_all, newline = draw(st.booleans()), draw(st.sampled_from(["\n", "\r\n", "\r"]))
    names = [draw(st.sampled_from([c, c.upper(), f" {c.title()} "])) for c in order]
    lines = [",".join(field(n, quote_all) for n in names)]
    for text, label in rows:
        values = {"text": text, "label": label, "id": str(len(lines)), "note": draw(no_nul)}
        lines.append(",".join(field(values[c], quote_all) for c in order))
    for _ in range(draw(st.integers(0, 3))):  # blank and whitespace-only lines anywhere
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", "  ", "\t", " \u00a0 "])))
    content = newline.join(lines) + draw(st.sampled_from(["", newline]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
    return content.encode(encoding), content, rows


def acceptable(content: str, rows: list[tuple[str, str]]) -> bool:
    """The oracle: whether the loader must accept a well-formed file, judged from what was written."""
    counts = Counter(label.strip() for _, label in rows)
    return (bool(rows) and "\0" not in content
            and all(normalize(t) and len(t) <= MAX_TEXT_CHARS for t, _ in rows)
            and all(0 < len(lb.strip()) <= MAX_LABEL_CHARS for _, lb in rows)
            and 2 <= len(counts) <= MAX_CLASSES and min(counts.values()) >= MIN_ROWS_PER_CLASS)


@SLOW
@given(csv_files())
def test_a_well_formed_csv_is_read_exactly_or_refused_for_a_stated_reason(file):
    raw, content, rows = file
    data = load_or_refuse(raw)
    assert (data is not None) == acceptable(content, rows)
    if data is None:
        return
    assert data.texts == [t for t, _ in rows]
    assert [data.classes[y] for y in data.labels] == [label.strip() for _, label in rows]


@SLOW
@given(csv_files(), st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(
    [b'"', b",", b"\n", b"\r", b"\x00", b"\xff", b"\xef\xbb\xbf", b"", b" ", b'""', b"\xe2\x80"])), min_size=1,
    max_size=4))
def test_a_damaged_csv_is_loaded_or_refused_with_an_input_error(file, damage):
    raw = bytearray(file[0])
    for at, junk in damage:  # each: replace one byte (or insert, when junk is longer) at a random place
        at %= len(raw) + 1
        raw[at : at + 1] = junk
    load_or_refuse(bytes(raw))
