"""The generated sentiment corpus and the hardened CSV loader, one regression test per hostile file."""

import codecs
import hashlib
import os
import re
import socket
import stat
import tempfile

import pytest

from pipeline.data import (
    MAX_CSV_BYTES,
    MAX_ROWS,
    MIN_ROWS_PER_CLASS,
    TextDataset,
    load_csv,
    load_csv_bytes,
    load_csv_path,
)
from pipeline.data.sentiment import CLASSES, generate
from pipeline.data.tokens import MAX_TEXT_CHARS, tokenize
from pipeline.errors import InputError


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


def rows(*classes: str, each: int = MIN_ROWS_PER_CLASS) -> bytes:
    """Valid data lines: ``each`` rows per class."""
    return b"".join(f"example {i} of {c},{c}\n".encode() for c in classes for i in range(each))


GOOD = b"text,label\n" + rows("neg", "pos")


def refused(content: bytes, name: str = "upload.csv") -> str:
    """The loader's message for ``content``, checked to be one line."""
    with pytest.raises(InputError) as caught:
        load_csv(content, name=name)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message
    return message


# --- the happy path -------------------------------------------------------------------------------------------


def test_load_csv_reads_text_and_label_columns_as_written():
    content = (b'\xef\xbb\xbftext,label\n"great, really",pos\n<b>awful</b>,neg\n**fine** [x](y),  pos  \n'
               b'  indented, "neg"\n' + rows("neg", "pos", each=4))
    data = load_csv(content, name="mine.csv")
    assert data.texts[:4] == ["great, really", "<b>awful</b>", "**fine** [x](y)", "indented"]  # no markup read
    assert data.classes == ["neg", "pos"] and data.labels[:4] == [1, 0, 1, 0]  # spaces after a comma skipped


def test_the_dataset_records_its_source_and_the_sha256_of_its_bytes():
    raw = codecs.BOM_UTF8 + GOOD  # the digest is of the bytes as uploaded, not of the decoded text
    data = load_csv(raw, name="mine.csv")
    assert data.source == "mine.csv" and data.sha256 == hashlib.sha256(raw).hexdigest()
    train, val = data.split(0.2, seed=0)
    assert (train.source, val.sha256) == ("mine.csv", data.sha256)
    assert generate(10, seed=0).source == ""  # generated data keeps the defaults


def test_header_is_case_and_space_insensitive_and_extra_columns_are_ignored():
    content = b" Label , TEXT ,id\n" + b"".join(f"{c},row {i},{i}\n".encode() for c in "ab" for i in range(5))
    data = load_csv(content)
    assert data.texts[0] == "row 0" and data.classes == ["a", "b"]


def test_blank_and_whitespace_only_lines_are_skipped_and_crlf_is_read():
    content = b"\r\n  \r\ntext,label\r\n\r\n \t \r\n" + rows("a", "b").replace(b"\n", b"\r\n") + b"   \r\n"
    assert len(load_csv(content)) == 2 * MIN_ROWS_PER_CLASS


def test_quoted_newlines_are_part_of_the_text():
    data = load_csv(b'text,label\n"two\nlines",a\n' + rows("a", "b"))
    assert data.texts[0] == "two\nlines"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_a_byte_order_mark_is_read(codec):
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    data = load_csv(bom + "text,label\nçà et là,é\n".encode(codec) + rows("é", "b").decode().encode(codec))
    assert data.texts[0] == "çà et là" and data.classes == ["b", "é"]


# --- hostile bytes: each one message naming the problem --------------------------------------------------------


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"   \n\t\n", "is empty"),
    (b'""\n', "is empty"),
    (b"sentence,label\nhi,a\n", r"has no column 'text' \(found: sentence, label\)\.$"),
    (b"text\nhello\n", "no column 'label'"),
    (b"great film,pos\nawful,neg\n", r"no column 'text' or 'label' \(found: great film, pos\)"),
    (b"text;label\nhi;a\n", "separated by ';': save it as comma-separated CSV"),
    (b"text,label,Text\n", "names the column 'text' twice \\(columns 1 and 3\\)"),
    (b"text,label\n", "header but no rows"),
    (b"text,label\n\n  \n", "header but no rows"),
    (b"text,label\n" + rows("a", "b") + b"good, but long,a\n", "line 12 has 3 fields; the header has 2 "
                                                               r"\(quote text that contains commas\)"),
    (b"text,label\nfine,a\njust text\n", r"line 3 has 1 field; the header has 2"),
    (b"text,label\nhi,a\n\n,a\n", "line 4: the text is empty"),
    ("text,label\n\u200b\u200b,a\n".encode(), "line 2: the text is empty"),
    (b"text,label\nhi, \n", "line 2: the label is empty"),
    (b"text,label\n" + b"x" * (MAX_TEXT_CHARS + 1) + b",a\n", "line 2: the text has 10,001 characters"),
    (b"text,label\nhi," + b"y" * 101 + b"\n", "line 2: the label has 101 characters"),
    (b'text,label\n"unclosed,a\nx,b\n', "line 2: a quoted field starts here and is never closed"),
    (b'text,label\nok,a\n"quoted"then,b\n', "line 3: a closing quote must be followed by a comma"),
    (b'text,label\n"' + b"x" * 200_000 + b"\n", "line 2: a field is longer than"),
    (b"text,label\ncaf\xe9,a\n", r"not UTF-8 text \(invalid byte 0xe9 at position 14, line 2\); save it as UTF-8"),
    (b"\xef\xbb\xbftext,label\ncaf\xe9,a\n", r"invalid byte 0xe9 at position 17, line 2"),
    (b"text,label\nhi\x00,a\n", r"contains a NUL byte \(position 13, line 2\)"),
    (codecs.BOM_UTF16_LE + b"t\x00e", r"not valid UTF-16 \(the data ends early|not valid UTF-16 \(byte"),
    (codecs.BOM_UTF16_LE + "text,label\n\0,a\n".encode("utf-16-le"), r"NUL character \(line 2\)"),
    (b"text,label\nhi,a\nho,a\n", r"only one class \('a'\); a classifier needs at least two"),
    (b"text,label\nx,a\ny,b\nz,b\n", "too few rows per class: 'a' has 1, 'b' has 2; each class needs at least 5"),
    (b"text,label\n" + rows(*"abcdefghijklmnopqrstuvwxy"), r"has 25 different labels \(such as 'a', 'b', 'c'\); "
                                                             "the limit is 20"),
    (b"text,label\n" + b"".join(b"row,%d\n" % i for i in range(3000)), "has 3,000 different labels"),
    (b"text,label\n" + b"r,a\n" * (MAX_ROWS + 1), r"more than 50,000 rows \(line 50002"),
    (b"text,label\n" + b"a,b\n" * 1_300_000, r"is 5,200,011 bytes; the limit is 5,000,000 bytes \(5 MB\)"),
])
def test_load_csv_names_the_problem_in_one_line(content, message):
    assert re.search(message, refused(content))


def test_the_row_limit_names_the_first_row_over_it():
    assert "line 50002 is row 50,001" in refused(b"text,label\n" + b"r,a\n" * (MAX_ROWS + 1))


def test_line_numbers_count_quoted_newlines_and_skipped_lines():
    assert "line 6 has 3 fields" in refused(b'text,label\n\n"a\nb",c\nd,e\nf,g,h\n')


def test_a_hostile_file_name_stays_on_one_line():
    assert refused(b"", name="evil\nname\u202e.csv").startswith("evil?name?.csv is empty")


@pytest.mark.timeout(20)
def test_thousands_of_classes_and_a_5_mb_file_take_no_slow_path():
    many = b"text,label\n" + b"".join(b"x,%d\n" % i for i in range(MAX_ROWS))
    assert "50,000 different labels" in refused(many)
    row = ("\u4e2d" * 1600).encode() + b",%d\n"  # no ASCII: the exact emptiness check reads every character
    n = (MAX_CSV_BYTES - 11) // len(row % 0)
    big = b"text,label\n" + b"".join(row % (i % 2) for i in range(n))
    assert len(big) > MAX_CSV_BYTES - 5000 and len(load_csv(big)) == n


# --- hostile paths: refused before anything blocks or is read ---------------------------------------------------


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "good.csv"
    path.write_bytes(GOOD)
    return path


def test_a_path_loads_with_its_name_as_the_source(good_file):
    assert load_csv(good_file) == load_csv_path(str(good_file)) == load_csv_bytes(GOOD, str(good_file))
    assert load_csv(good_file, name="good.csv").source == "good.csv"


def test_a_symlink_to_a_regular_file_is_followed(good_file, tmp_path):
    (tmp_path / "link.csv").symlink_to(good_file)
    assert len(load_csv_path(tmp_path / "link.csv")) == 2 * MIN_ROWS_PER_CLASS


def path_refused(path, match: str) -> None:
    with pytest.raises(InputError, match=match) as caught:
        load_csv_path(path)
    assert "\n" not in str(caught.value)


@pytest.mark.timeout(5)  # opening a FIFO for reading blocks until a writer appears
def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    path_refused(tmp_path / "pipe.csv", r"pipe.csv is a named pipe \(FIFO\), not a regular file")
    (tmp_path / "link.csv").symlink_to(tmp_path / "pipe.csv")
    path_refused(tmp_path / "link.csv", r"link.csv is a named pipe \(FIFO\)")


def test_a_file_that_is_not_regular_is_refused_from_stat_without_being_opened(tmp_path, monkeypatch):
    os.mkfifo(tmp_path / "pipe.csv")
    monkeypatch.setattr(os, "open", lambda *a: pytest.fail("opened a file that is not regular"))
    for path in (tmp_path / "pipe.csv", tmp_path, "/dev/null"):
        path_refused(path, "not a regular file")


def stat_as(target, seen_as):
    """``os.stat`` that answers for ``seen_as`` when asked about ``target``: a path swapped after the check."""
    real = os.stat

    def fake(path, *args, **kwargs):
        return real(seen_as if str(path) == str(target) else path, *args, **kwargs)

    return fake


@pytest.mark.timeout(5)
def test_a_path_swapped_for_a_pipe_after_stat_does_not_block(tmp_path, good_file, monkeypatch):
    os.mkfifo(tmp_path / "pipe.csv")
    monkeypatch.setattr(os, "stat", stat_as(tmp_path / "pipe.csv", good_file))  # stat sees a file, open a pipe
    path_refused(tmp_path / "pipe.csv", r"is a named pipe \(FIFO\)")


@pytest.mark.timeout(5)
@pytest.mark.parametrize(("path", "kind"), [("/dev/zero", "a character device"), ("/dev/null", "a character device"),
                                            ("/dev/stdin", "not a regular file|a character device|a named pipe")])
def test_device_files_are_refused_without_reading(path, kind):
    if not os.path.exists(path) or stat.S_ISREG(os.stat(path).st_mode):
        pytest.skip(f"{path} is missing or a regular file here")
    path_refused(path, kind)


def test_a_directory_and_a_socket_are_refused(tmp_path):
    path_refused(tmp_path, "is a directory, not a regular file")
    with tempfile.TemporaryDirectory(dir="/tmp") as short, socket.socket(socket.AF_UNIX) as sock:
        sock.bind(os.path.join(short, "s.csv"))  # AF_UNIX paths are short: not under tmp_path
        path_refused(os.path.join(short, "s.csv"), "s.csv is a socket")


def test_a_file_over_the_limit_is_refused_from_its_size_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.csv"
    with open(big, "wb") as f:
        f.truncate(6_000_000)  # sparse: 6 MB that cost nothing
    monkeypatch.setattr(os, "open", lambda *a: pytest.fail("opened a file over the limit"))
    path_refused(big, r"big.csv is 6,000,000 bytes; the limit is 5,000,000 bytes")


def test_a_file_that_grows_after_stat_is_still_read_only_up_to_the_limit(tmp_path, good_file, monkeypatch):
    big = tmp_path / "big.csv"
    big.write_bytes(b"text,label\n" + b"a,b\n" * 1_300_000)
    monkeypatch.setattr(os, "stat", stat_as(big, good_file))
    monkeypatch.setattr(os, "fstat", lambda fd, stat=os.stat: stat(good_file))
    path_refused(big, r"is 5,000,001 bytes; the limit")


def test_missing_unreadable_and_badly_named_paths_are_named(tmp_path, good_file, monkeypatch):
    path_refused(tmp_path / "nope.csv", r"nope.csv does not exist\.$")
    (tmp_path / "dangling.csv").symlink_to(tmp_path / "gone.csv")
    path_refused(tmp_path / "dangling.csv", "dangling.csv is a link to a file that does not exist")
    path_refused(good_file / "child.csv", "cannot be opened: Not a directory")
    path_refused("bad\0name.csv", r"bad\?name.csv is not a usable file name")

    def denied(*args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", denied)
    path_refused(good_file, "good.csv cannot be read: permission denied")


def test_load_csv_refuses_a_source_that_is_neither_path_nor_bytes():
    with pytest.raises(TypeError, match="got int"):
        load_csv(3)


def test_text_dataset_keeps_working_without_provenance():
    data = TextDataset(["a", "b"], [0, 1], ["x", "y"])
    assert (data.source, data.sha256) == ("", "") and len(data.subset([1])) == 1
