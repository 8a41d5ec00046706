"""Hostile trace files, each under the 5 MB upload cap: each is refused or opened within 300 MB of memory,
measured in a child process -- on the command line (``pipeline-trace show``) and on Open a trace's path (the
loader and the app's figure builders) -- and a refusal is one line saying what is wrong. A child still working
after a minute is killed and fails its test (a hang); how many CPU seconds each file takes is a benchmark
(``bench/hostile.py``, in the README), not an assertion: the same work takes longer on a loaded machine.

Before the bounds (the previous code): 350,000 stages and 400,000 epochs ran past 60 s and 1.6 GB; a record at
depth 1,000,000,000 made the command line allocate 1.9 GB; 40,000 stages took 13 s; 1,000 minimal stages took
58 s to draw; a root record with call 1, a ragged matrix and an encrypted entry ended in exceptions.
"""

from __future__ import annotations

import functools

import pytest
from hostile_files import HOSTILE
from limits import Opener

UPLOAD_CAP = 5_000_000
MEMORY_MB = 300.0

# What each file must end in: opened, or refused with these words in its one line.
EXPECTED = {
    "350,000 stages": "trace.json unpacks to",
    "40,000 stages": "stages: List should have at most 300 items",
    "1,000 minimal stages": "stages: List should have at most 300 items",
    "300 minimal stages": "opened",
    "400,000 epochs": "trace.json unpacks to",
    "50,000 records": "records: List should have at most 10000 items",
    "a record at depth 1,000,000,000": "records[1].depth",
    "20,000 records at depth 250": "records: List should have at most 10000 items",
    "a sample declaring 49 million values": "its sample declares 49,000,000 values",
    "an inline sample declaring 49 million values": "its sample declares 49,000,000 values",
    "a safetensors header declaring 10^12 values": "its sample declares 1,000,000,000,000 values",
    "240 stages with samples of 65,536 values": "opened",
    "a file at every bound at once": "opened",
    "5,000 prediction layers": "prediction.layers: List should have at most 100 items",
    "a matrix layer of 1,000 x 1,000": "its values is 1,000 x 1,000",
    "a ragged matrix": "its values is ragged",
    "gate lengths that disagree": "its gate i has 2 rows, not 3",
    "attention labels that disagree": "its head 1 has rows of 2 values, not 3",
    "a root record with call 1": "records[0] is call 1 of '', but call 0 of it comes first",
    "an entry flagged as encrypted": "trace.json is encrypted",
    "a zip of 30,000 entries": "it holds 30,000 entries",
    "a structure nested 45 deep": "nested more than 40 levels deep",
    "a structure nested 150 deep": "not valid JSON (recursion limit exceeded",
    "a dimension of 10^30": "records[0].outputs.tensor.shape[0]",
    "20,000 names of 1,000 characters": "trace.json unpacks to",
    "a dict of 100,000 items": "records[0].outputs.dict.items: Dictionary should have at most 64 items",
    "1,000,000 examples": "trace.json unpacks to",
    "250 epochs keeping 4,096 numbers of views each": "the views the epochs kept hold more than 262,144 values",
    "1,000 epochs placing 500 words each": "the epochs' words in space hold more than 65,536 points",
}


@pytest.fixture(scope="module")
def opener():
    measuring = Opener()
    yield measuring
    measuring.close()


@functools.cache
def hostile(name: str) -> tuple[bytes, str]:
    raw = HOSTILE[name]()
    return raw, "hostile.zip" if raw[:2] == b"PK" else "hostile.json"


def test_every_hostile_file_has_an_expectation():
    assert set(EXPECTED) == set(HOSTILE)


@pytest.mark.parametrize("way", ["cli", "app"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_file_is_refused_or_opened_in_one_line_within_300_mb(opener, name, way):
    raw, file_name = hostile(name)
    assert len(raw) <= UPLOAD_CAP, f"{name} is {len(raw):,} bytes: over the upload cap, not a fair test"
    cost = opener.cost(way, raw, file_name)
    expected = EXPECTED[name]
    assert cost.outcome == ("opened" if expected == "opened" else "refused"), cost.message
    if expected != "opened":
        line = cost.message.removesuffix("\n")
        assert expected in line and "\n" not in line and "Traceback" not in line, line
        assert line.startswith("pipeline-trace: error: " if way == "cli" else file_name), line
    assert cost.memory_mb <= MEMORY_MB, f"{name}: {cost.memory_mb:.0f} MB"
