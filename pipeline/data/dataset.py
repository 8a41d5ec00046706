"""Labelled text datasets: the container, a seeded split, and a hardened loader for a learner's CSV file.

The loader takes a path (the CLI's ``--data``) or raw bytes with a file name (the app's upload). It
returns a :class:`TextDataset` or raises one :class:`~pipeline.nn.text.InputError` whose one-line message
names the line, column or byte at fault; it never hangs on a pipe or a device and never reads more than
``MAX_CSV_BYTES + 1`` bytes.

The format: UTF-8 (with or without a byte-order mark; UTF-16 with a byte-order mark is read too),
comma-separated, a first line naming the columns ``text`` and ``label`` (any case, spaces around the
names ignored). Other columns are allowed and ignored; blank lines are skipped. Texts and labels are kept
exactly as written, except that unquoted spaces at the start of a field (after a comma, as people type)
are skipped and spaces around a label are removed.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import hashlib
import io
import os
import random
import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Self

from pipeline.data.tokens import MAX_TEXT_CHARS, normalize
from pipeline.errors import InputError

MAX_CSV_BYTES = 5_000_000
MAX_ROWS = 50_000
MAX_CLASSES = 20
MIN_ROWS_PER_CLASS = 5  # with a 20 % validation split, a class this small still shows up on both sides
MAX_LABEL_CHARS = 100  # a label names a class; it is shown in tables and charts

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
_VISIBLE_ASCII = re.compile(r"[!-~]")  # one such character survives normalize(), so the text is not empty
_CSV_PROBLEMS = {
    "unexpected end of data": 'a quoted field starts here and is never closed (check the " characters)',
    "',' expected after '\"'": 'a closing quote must be followed by a comma or the end of the line '
                               '(write "" for a quote inside quoted text)',
    "field larger than field limit": f"a field is longer than {csv.field_size_limit():,} characters "
                                     f"(texts are limited to {MAX_TEXT_CHARS:,}; is a quote left open?)",
}


@dataclass(frozen=True)
class TextDataset:
    """Parallel lists of texts and integer labels, with the class names the labels index.

    Args:
        texts: the examples, as written.
        labels: per text, an index into ``classes``.
        classes: the class names.
        source: where the data came from (a file name), ``""`` for generated data.
        sha256: hex digest of the raw bytes the data was loaded from, ``""`` for generated data.
    """

    texts: list[str]
    labels: list[int]
    classes: list[str]
    source: str = ""
    sha256: str = ""

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")
        bad = [y for y in self.labels if not 0 <= y < len(self.classes)]
        if bad:
            raise ValueError(f"label {bad[0]} is out of range for {len(self.classes)} classes")

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: list[int]) -> Self:
        """The rows at ``indices``, with the same classes and provenance."""
        return dataclasses.replace(self, texts=[self.texts[i] for i in indices],
                                   labels=[self.labels[i] for i in indices])

    def split(self, val_fraction: float = 0.2, seed: int = 0) -> tuple[Self, Self]:
        """A shuffled (train, validation) split; the same seed gives the same split."""
        if not 0 < val_fraction < 1:
            raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
        order = list(range(len(self)))
        random.Random(seed).shuffle(order)
        n_val = max(1, round(len(order) * val_fraction))
        return self.subset(order[n_val:]), self.subset(order[:n_val])


def load_csv(source: str | os.PathLike[str] | bytes, name: str | None = None) -> TextDataset:
    """Load a ``text,label`` CSV from a path (see :func:`load_csv_path`) or raw bytes (:func:`load_csv_bytes`)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return load_csv_bytes(bytes(source), "the file" if name is None else name)
    if isinstance(source, str | os.PathLike):
        return load_csv_path(source, name)
    raise TypeError(f"source must be a path or bytes, got {type(source).__name__}")


def load_csv_path(path: str | os.PathLike[str], name: str | None = None) -> TextDataset:
    """Load a ``text,label`` CSV file; raise InputError naming the problem.

    Only a regular file (or a link to one) of at most ``MAX_CSV_BYTES`` is read. Directories, pipes,
    devices and sockets are refused from ``os.stat`` before anything is opened, and the file is opened
    non-blocking and checked again, so a path swapped in between cannot make the loader hang.

    Args:
        path: the file to read.
        name: how messages and ``TextDataset.source`` name the file; by default the path as given.
    """
    shown = printable(os.fsdecode(path) if name is None else name)
    try:
        info = os.stat(path)
    except (OSError, ValueError) as e:
        raise InputError(_open_problem(e, path, shown)) from None
    _check_file(info, shown)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as e:
        raise InputError(_open_problem(e, path, shown)) from None
    with open(fd, "rb", closefd=True) as f:
        _check_file(os.fstat(fd), shown)
        try:
            raw = f.read(MAX_CSV_BYTES + 1)
        except OSError as e:
            raise InputError(f"{shown} could not be read: {e.strerror or type(e).__name__}.") from None
    return load_csv_bytes(raw, shown)


def load_csv_bytes(raw: bytes, name: str = "the file") -> TextDataset:
    """Parse the bytes of a ``text,label`` CSV file called ``name``; raise InputError naming the problem.

    Returns:
        A dataset with 2 to ``MAX_CLASSES`` classes, at least ``MIN_ROWS_PER_CLASS`` rows for each and at
        most ``MAX_ROWS`` in all, its ``source`` set to ``name`` and its ``sha256`` to the digest of ``raw``.
    """
    name = printable(name)
    if len(raw) > MAX_CSV_BYTES:
        raise InputError(_too_large(name, len(raw)))
    content = _decode(raw, name)
    texts, labels = _read_rows(_records(content, name), name)
    classes = check_classes(labels, name)
    index = {c: i for i, c in enumerate(classes)}
    return TextDataset(texts, [index[label] for label in labels], classes, name, hashlib.sha256(raw).hexdigest())


def _check_file(info: os.stat_result, name: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((what for test, what in _FILE_KINDS if test(info.st_mode)), "a special file")
        raise InputError(f"{name} is {kind}, not a regular file: give the path of a .csv file.")
    if info.st_size > MAX_CSV_BYTES:
        raise InputError(_too_large(name, info.st_size))


def _open_problem(error: OSError | ValueError, path: str | os.PathLike[str], name: str) -> str:
    if isinstance(error, ValueError):  # os.stat refuses a path with a NUL character in it
        return f"{name} is not a usable file name: {error}."
    if isinstance(error, FileNotFoundError):
        return f"{name} is a link to a file that does not exist." if os.path.islink(path) else f"{name} does not exist."
    if isinstance(error, PermissionError):
        return f"{name} cannot be read: permission denied."
    return f"{name} cannot be opened: {error.strerror or type(error).__name__}."


def _too_large(name: str, size: int) -> str:
    return f"{name} is {size:,} bytes; the limit is {MAX_CSV_BYTES:,} bytes ({MAX_CSV_BYTES / 1e6:.0f} MB)."


def _decode(raw: bytes, name: str) -> str:
    """UTF-8 (an optional byte-order mark dropped) or UTF-16 with a byte-order mark; no NUL characters."""
    if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        try:
            content = raw.decode("utf-16")
        except UnicodeDecodeError as e:
            raise InputError(f"{name} starts like UTF-16 text but is not valid UTF-16 ({_byte_at(raw, e.start)}); "
                             "save it as UTF-8 CSV.") from None
        if "\0" in content:
            line = content.count("\n", 0, content.index("\0")) + 1
            raise InputError(f"{name} contains a NUL character (line {line}): save it as UTF-8 CSV text.")
        return content
    if (nul := raw.find(b"\0")) >= 0:
        raise InputError(f"{name} contains a NUL byte ({_position(raw, nul)}): it is not CSV text; "
                         "save it as UTF-8 CSV.")
    skip = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        return raw[skip:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{name} is not UTF-8 text (invalid {_byte_at(raw, e.start + skip)}); "
                         "save it as UTF-8 CSV.") from None


def _position(raw: bytes, position: int) -> str:
    line = raw.count(b"\n", 0, position) + 1
    return f"position {position}, line {line}"


def _byte_at(raw: bytes, position: int) -> str:
    if position >= len(raw):
        return f"the data ends early at {_position(raw, position)}"
    return f"byte 0x{raw[position]:02x} at {_position(raw, position)}"


def _records(content: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line number, fields) per CSV record, skipping blank and whitespace-only lines."""
    reader = csv.reader(io.StringIO(content, newline=""), skipinitialspace=True, strict=True)
    line = 1  # where the next record starts
    try:
        for fields in reader:
            start, line = line, reader.line_num + 1
            if len(fields) > 1 or (fields and fields[0].strip()):
                yield start, fields
    except csv.Error as e:
        problem = next((v for k, v in _CSV_PROBLEMS.items() if str(e).startswith(k)), f"not valid CSV: {e}")
        raise InputError(f"{name}, line {line}: {problem}.") from None


def _read_rows(records: Iterator[tuple[int, list[str]]], name: str) -> tuple[list[str], list[str]]:
    """Check the header, then each row; return the texts and the stripped labels."""
    first = next(records, None)
    if first is None:
        raise InputError(f"{name} is empty: it needs a header line 'text,label' and one row per example.")
    header = first[1]
    columns = [h.strip().casefold() for h in header]
    _check_header(columns, name)
    width, text_at, label_at = len(columns), columns.index("text"), columns.index("label")
    texts: list[str] = []
    labels: list[str] = []
    for line, fields in records:
        if len(fields) != width:
            advice = "quote text that contains commas" if len(fields) > width else "every row needs a field per column"
            raise InputError(f"{name}, line {line} has {_count(len(fields), 'field')}; "
                             f"the header has {width} ({advice}).")
        if len(texts) == MAX_ROWS:
            raise InputError(f"{name} has more than {MAX_ROWS:,} rows (line {line} is row {MAX_ROWS + 1:,}); "
                             f"the limit is {MAX_ROWS:,}.")
        text, label = fields[text_at], fields[label_at].strip()
        _check_row(text, label, f"{name}, line {line}")
        texts.append(text)
        labels.append(label)
    if not texts:
        raise InputError(f"{name} has a header but no rows.")
    return texts, labels


def _check_header(columns: list[str], name: str) -> None:
    missing = [c for c in ("text", "label") if c not in columns]
    if missing:
        found = ", ".join(printable(c, 40) or "''" for c in columns[:10]) + (", …" if len(columns) > 10 else "")
        hint = next((f" The columns look separated by {sep!r}: save it as comma-separated CSV."
                     for sep in (";", "\t", "|") if len(columns) == 1 and {"text", "label"}
                     <= {c.strip() for c in columns[0].split(sep)}), "")
        raise InputError(f"{name} has no column {' or '.join(repr(m) for m in missing)} (found: {found}).{hint}")
    twice = next((c for c, n in Counter(columns).items() if n > 1), None)
    if twice is not None:
        where = [i + 1 for i, c in enumerate(columns) if c == twice][:2]
        raise InputError(f"{name}: the header names the column {short_repr(twice)} twice "
                         f"(columns {where[0]} and {where[1]}); give each column its own name.")


def _check_row(text: str, label: str, where: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"{where}: the text has {len(text):,} characters (limit {MAX_TEXT_CHARS:,}).")
    if not _VISIBLE_ASCII.search(text) and not normalize(text):
        raise InputError(f"{where}: the text is empty (it needs at least one visible character).")
    if not label:
        raise InputError(f"{where}: the label is empty.")
    if len(label) > MAX_LABEL_CHARS:
        raise InputError(f"{where}: the label has {len(label):,} characters (limit {MAX_LABEL_CHARS}; "
                         "a label names a class, such as pos or neg).")


def check_classes(labels: list[str], name: str, noun: str = "row") -> list[str]:
    """The sorted class names, if there are 2 to MAX_CLASSES of them with enough of ``noun`` (row, image) each."""
    counts = Counter(labels)
    if len(counts) < 2:
        raise InputError(f"{name} has only one class ({short_repr(labels[0])}); a classifier needs at least two.")
    if len(counts) > MAX_CLASSES:
        examples = ", ".join(short_repr(c) for c in list(counts)[:3])
        raise InputError(f"{name} has {len(counts):,} different labels (such as {examples}); "
                         f"the limit is {MAX_CLASSES}: a label names a class, such as pos or neg.")
    classes = sorted(counts)
    short = [f"{short_repr(c)} has {counts[c]}" for c in classes if counts[c] < MIN_ROWS_PER_CLASS]
    if short:
        raise InputError(f"{name} has too few {noun}s per class: {', '.join(short)}; each class needs at least "
                         f"{MIN_ROWS_PER_CLASS} so that both training and validation see it.")
    return classes


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def printable(text: str, limit: int = 120) -> str:
    """``text`` on one line for a message: invisible and control characters as '?', at most ``limit`` long."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def short_repr(value: str, limit: int = 40) -> str:
    """``repr(value)`` (escapes keep it on one line), cut to ``limit`` characters."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"

