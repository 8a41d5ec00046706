"""Hostile trace files, built as bytes: each small (under the 5 MB upload cap as a zip) and each asking for far
more work than its size, or holding something a page once broke on. ``HOSTILE`` names them; the tests open
each in a child process within a time and memory limit (``tests/limits.py``).
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
from collections.abc import Callable
from typing import Any

SCHEMA = "pipeline-trace/2"


def record(name: str = "", call: int = 0, depth: int = 0, **extra: Any) -> dict[str, Any]:
    """A minimal record (the root by default)."""
    return {"name": name, "kind": "module", "type": "M", "call": call, "module": name, "depth": depth,
            "operation": "M()", **extra}


def stage(i: int, **extra: Any) -> dict[str, Any]:
    return {"key": f"s{i}", "title": f"s{i}", "description": "", "operation": "", "input_shape": [1],
            "output_shape": [1], **extra}


def document(**parts: Any) -> dict[str, Any]:
    """A minimal valid document: the model's own record and one stage, with ``parts`` replacing or adding keys."""
    return {"schema": SCHEMA, "model": {"type": "M"}, "records": [record()], "stages": [stage(0)], **parts}


def safetensors(tensors: dict[str, tuple[str, list[int], bytes]]) -> bytes:
    """A safetensors file written by hand: a header that may declare anything, and the data as given."""
    header, data, offset = {}, [], 0
    for key, (dtype, shape, raw) in tensors.items():
        header[key] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        data.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    return b"".join([struct.pack("<Q", len(text)), text, *data])


def as_zip(doc: dict[str, Any], samples: bytes | None = None, *, level: int = 9) -> bytes:
    """The zip form: ``trace.json`` recording the sha256 of ``samples.safetensors`` (empty by default)."""
    samples = safetensors({}) if samples is None else samples
    doc = {**doc, "samples": {"sha256": hashlib.sha256(samples).hexdigest()}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr("trace.json", json.dumps(doc, separators=(",", ":")))
        z.writestr("samples.safetensors", samples)
    return buffer.getvalue()


def as_json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def stages(n: int) -> bytes:
    return as_zip(document(stages=[stage(i) for i in range(n)]))


def epochs(n: int) -> bytes:
    epoch = {"epoch": 1, "loss": 0.5, "accuracy": 0.5, "val_loss": 0.5, "val_accuracy": 0.5}
    return as_zip(document(epochs=[{**epoch, "epoch": i} for i in range(n)]))


def records(n: int, depth: int = 1) -> bytes:
    return as_zip(document(records=[record()] + [record(f"m{i}", depth=depth) for i in range(n - 1)]))


def deep_record() -> bytes:
    """One record at depth 1,000,000,000: the command line's indentation allocated 2.1 GB before refusing it."""
    return as_json(document(records=[record(), record("a", depth=1_000_000_000)]))


def declared_sample(values: int) -> bytes:
    """A sample whose safetensors entry really holds ``values`` bytes (zeros: a zip packs them to nothing)."""
    samples = safetensors({"r0": ("BOOL", [values], bytes(values))})
    sample = {"form": "tensor", "key": "r0", "dtype": "bool", "shape": [values]}
    return as_zip(document(records=[record(sample=sample)]), samples)


def inline_sample(side: int) -> bytes:
    """An inline sample declaring ``side`` x ``side`` values and holding none."""
    sample = {"form": "inline", "dtype": "float32", "shape": [side, side], "values": []}
    return as_json(document(records=[record(sample=sample)]))


def layer(kind: str = "vector", index: int = 0, **fields: Any) -> dict[str, Any]:
    base = {"kind": kind, "key": f"l{index}", "title": f"layer {index}", "description": "d"}
    if kind == "vector" and not fields:
        fields = {"values": [0.5, 0.25]}
    return {**base, **fields}


def prediction(layers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"text": "t", "output": "o", "confidence": 0.5, "layers": layers}


def prediction_layers(n: int) -> bytes:
    return as_zip(document(prediction=prediction([layer(index=i) for i in range(n)])))


def ragged_matrix() -> bytes:
    view = layer("matrix", values=[[1.0, 2.0, 3.0], [4.0]], rows=["a", "b"])
    return as_zip(document(prediction=prediction([view])))


def big_matrix(rows: int, cols: int) -> bytes:
    view = layer("matrix", values=[[0.5] * cols] * rows, rows=[str(i) for i in range(rows)])
    return as_zip(document(prediction=prediction([view])))


def gates_mismatch() -> bytes:
    """An LSTM's gates over three tokens, each gate with two rows."""
    two = [[0.1, 0.2], [0.3, 0.4]]
    view = layer("lstm_gates", tokens=["a", "b", "c"], marks=["word"] * 3, i=two, f=two, g=two, o=two, c=two, h=two)
    return as_zip(document(prediction=prediction([view])))


def attention_mismatch() -> bytes:
    """Attention weights over two columns, labelled with three."""
    view = layer("attention", weights=[[[0.5, 0.5], [0.5, 0.5]]], rows=["a", "b"], cols=["a", "b", "c"])
    return as_zip(document(prediction=prediction([view])))


def root_call_one() -> bytes:
    return as_zip(document(records=[record(call=1)]))


def encrypted_entry() -> bytes:
    """A zip whose trace.json is flagged as encrypted (general purpose bit 0)."""
    raw = bytearray(as_zip(document()))
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := raw.find(signature, start)) >= 0:
            raw[start + flags_at] |= 1
            start += 4
    return bytes(raw)


def many_entries(n: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for i in range(n):
            z.writestr(f"{i}", b"")
    return buffer.getvalue()


def nested_structure(levels: int) -> bytes:
    node: dict[str, Any] = {"node": "tensor", "shape": [1], "dtype": "float32"}
    for _ in range(levels):
        node = {"node": "tuple", "items": [node]}
    return as_json(document(records=[record(outputs=node)]))


def huge_dimension() -> bytes:
    return as_json(document(records=[record(outputs={"node": "tensor", "shape": [10**30], "dtype": "float32"})],
                            stages=[stage(0, output_shape=[10**30, 10**30])]))


def long_names(n: int, length: int) -> bytes:
    return as_zip(document(records=[record()] + [record("x" * length + str(i), depth=1) for i in range(n)]))


def wide_container(n: int) -> bytes:
    node = {"node": "dict", "items": {str(i): None for i in range(n)}}
    return as_zip(document(records=[record(outputs=node)]))


def many_examples(n: int) -> bytes:
    return as_zip(document(examples=[["a text", "a label"]] * n))


def header_declares_huge_tensor() -> bytes:
    samples = safetensors({"r0": ("F32", [1_000_000_000_000], b"\x00" * 16)})
    sample = {"form": "tensor", "key": "r0", "dtype": "float32", "shape": [1_000_000_000_000]}
    return as_zip(document(records=[record(sample=sample)]), samples)


def many_samples(n: int, rows: int, cols: int) -> bytes:
    """``n`` records, each with a real sample of ``rows`` x ``cols`` float32 values, each record a stage."""
    tensors = {f"r{i}": ("F32", [rows, cols], bytes(4 * rows * cols)) for i in range(n)}
    recs = [record(sample={"form": "tensor", "key": "r0", "dtype": "float32", "shape": [rows, cols]})]
    recs += [record(f"m{i}", depth=1, sample={"form": "tensor", "key": f"r{i}", "dtype": "float32",
                                               "shape": [rows, cols]}) for i in range(1, n)]
    return as_zip(document(records=recs, stages=[stage(i, record=[f"m{i}", 0]) for i in range(1, n)]),
                  safetensors(tensors))


def largest_accepted() -> bytes:
    """A file at every bound at once, as close as the 12 MB of trace.json allow: 10,000 calls described like a
    real model's (a tuple of two tensors in and out, statistics), 300 stages each showing a sample of 4,096
    values, 1,000 epochs, and a prediction of 4 matrices of 128 x 256 numbers (the most its layers may draw)."""
    tensor = {"node": "tensor", "shape": [8, 196, 96], "dtype": "float32"}
    pair = {"node": "tuple", "items": [tensor, tensor]}
    recs = [record()] + [record(f"features.{i % 8}.block.{i}", depth=3, inputs=pair, outputs=pair, num_params=1234,
                                stats={"min": -1.0, "max": 1.0, "mean": 0.0, "std": 0.5, "count": 150528})
                         for i in range(1, 10_000)]
    for i in range(1, 301):
        recs[i]["sample"] = {"form": "tensor", "key": f"r{i}", "dtype": "float32", "shape": [64, 64]}
    tensors = {f"r{i}": ("F32", [64, 64], bytes(4 * 4096)) for i in range(1, 301)}
    epoch = {"epoch": 1, "loss": 0.5, "accuracy": 0.5, "val_loss": 0.5, "val_accuracy": 0.5}
    matrix = [[0.25] * 256] * 128
    layers = [layer("matrix", index=k, values=matrix, rows=[str(r) for r in range(128)]) for k in range(4)]
    doc = document(records=recs, stages=[stage(i, record=[recs[i]["name"], 0]) for i in range(1, 301)],
                   epochs=[{**epoch, "epoch": i} for i in range(1_000)], prediction=prediction(layers))
    return as_zip(doc, safetensors(tensors))


def kept_views(n: int, side: int, heads: int) -> bytes:
    """``n`` epochs, each keeping one probe's attention of ``heads`` x ``side`` x ``side`` weights (the time-lapse)."""
    epoch = {"epoch": 1, "loss": 0.5, "accuracy": 0.5, "val_loss": 0.5, "val_accuracy": 0.5}
    words = [str(w) for w in range(side)]
    view = layer("attention", rows=words, cols=words, weights=[[[0.5] * side] * side] * heads)
    return as_zip(document(epochs=[{**epoch, "epoch": i, "inside": {"probe": {"attention_1": view}}}
                                   for i in range(n)]))


def words_in_space(n: int, words: int) -> bytes:
    """``n`` epochs, each placing ``words`` words in the plane."""
    epoch = {"epoch": 1, "loss": 0.5, "accuracy": 0.5, "val_loss": 0.5, "val_accuracy": 0.5}
    return as_zip(document(epochs=[{**epoch, "epoch": i, "space": [[0.5, 0.25]] * words} for i in range(n)]))


# name -> (the file's bytes, its file name); built when a test asks for it
HOSTILE: dict[str, Callable[[], bytes]] = {
    "350,000 stages": lambda: stages(350_000),
    "40,000 stages": lambda: stages(40_000),
    "1,000 minimal stages": lambda: stages(1_000),
    "400,000 epochs": lambda: epochs(400_000),
    "50,000 records": lambda: records(50_000),
    "a record at depth 1,000,000,000": deep_record,
    "20,000 records at depth 250": lambda: records(20_000, depth=250),
    "a sample declaring 49 million values": lambda: declared_sample(49_000_000),
    "an inline sample declaring 49 million values": lambda: inline_sample(7_000),
    "a safetensors header declaring 10^12 values": header_declares_huge_tensor,
    "240 stages with samples of 65,536 values": lambda: many_samples(240, 256, 256),
    "300 minimal stages": lambda: stages(300),
    "a file at every bound at once": largest_accepted,
    "5,000 prediction layers": lambda: prediction_layers(5_000),
    "a matrix layer of 1,000 x 1,000": lambda: big_matrix(1_000, 1_000),
    "a ragged matrix": ragged_matrix,
    "gate lengths that disagree": gates_mismatch,
    "attention labels that disagree": attention_mismatch,
    "a root record with call 1": root_call_one,
    "an entry flagged as encrypted": encrypted_entry,
    "a zip of 30,000 entries": lambda: many_entries(30_000),
    "a structure nested 45 deep": lambda: nested_structure(45),
    "a structure nested 150 deep": lambda: nested_structure(150),
    "a dimension of 10^30": huge_dimension,
    "20,000 names of 1,000 characters": lambda: long_names(20_000, 1_000),
    "a dict of 100,000 items": lambda: wide_container(100_000),
    "1,000,000 examples": lambda: many_examples(1_000_000),
    "250 epochs keeping 4,096 numbers of views each": lambda: kept_views(250, 32, 4),
    "1,000 epochs placing 500 words each": lambda: words_in_space(1_000, 500),
}
