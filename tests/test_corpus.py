"""Real architectures, traced with ops off and on: the output is the untraced forward's, every module call's
shape and parameter count is torchinfo's, and the trace file round-trips record for record.

The corpus (``tests/corpus.py``): torchvision and Hugging Face models from tiny configurations with random
weights, and models as students write them (an MLP, a CNN, a GRU tagger, a seq2seq with a Python decoding
loop, a Transformer block with its attention written out).
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
import torch
import torchinfo
from corpus import CORPUS

from pipeline.document.document import trace_document
from pipeline.document.fileformat import loads, zip_bytes
from pipeline.trace import RecordKind, trace
from pipeline.trace.record import first_spec

DECODERS = ("gpt2", "llama", "t5")  # their key/value cache starts as torch.tensor([]): ops=True raised IndexError


def tensors(value: Any, depth: int = 0) -> list[torch.Tensor]:
    """Every tensor in an output, depth first: in containers, and in plain objects' attributes (a KV cache)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if depth > 8 or isinstance(value, str | int | float | bool | type(None) | torch.nn.Module):
        return []
    if isinstance(value, dict):
        return [t for v in value.values() for t in tensors(v, depth + 1)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in tensors(v, depth + 1)]
    return [t for v in getattr(value, "__dict__", {}).values() for t in tensors(v, depth + 1)]


def numbers(stats) -> tuple | None:
    """Statistics as comparable numbers: NaN as a string (NaN != NaN), infinities as they are."""
    return None if stats is None else tuple("nan" if v != v else v for v in stats.to_dict().values())


def _reference_shape(structure) -> list:
    """The shape torchinfo reports for an output: the first tensor, but the *last* value of a dict."""
    if isinstance(structure, dict):
        return _reference_shape(list(structure.values())[-1]) if structure else []
    spec = first_spec(structure)
    return list(spec.shape) if spec else []


@functools.cache
def torchinfo_calls(name: str) -> list[tuple[str, list]]:
    """Every module call torchinfo records for the case (on a model of its own), in order: class and shape."""
    model, args, kwargs = CORPUS[name].make()
    summary = torchinfo.summary(model, input_data=list(args), verbose=0, mode="eval", depth=100, **kwargs)
    return [(layer.class_name, layer.output_size) for layer in summary.summary_list if layer.executed]


@pytest.mark.parametrize("ops", [False, True], ids=["modules", "ops"])
@pytest.mark.parametrize("name", list(CORPUS))
def test_a_real_architecture_traces_unchanged_as_torchinfo_sees_it_and_round_trips(name, ops):
    model, args, kwargs = CORPUS[name].make()
    with torch.no_grad():
        expected = model(*args, **kwargs)
        with trace(model, ops=ops) as t:
            output = model(*args, **kwargs)
    got, want = tensors(output), tensors(expected)
    assert len(got) == len(want) and all(torch.equal(a, b) for a, b in zip(got, want, strict=True))

    assert [(r.type, _reference_shape(r.outputs)) for r in t.modules()] == torchinfo_calls(name)
    modules = dict(model.named_modules())
    for r in t.modules():
        assert r.num_params == sum(p.numel() for p in modules[r.name].parameters()), r.name
    assert bool(t.ops()) == ops
    if ops and name in DECODERS:
        assert any(r.output_shape == [0] and r.sample is None for r in t.ops("tensor")), "the empty KV cache"

    back = loads(zip_bytes(trace_document(t, "the corpus")), "t.zip").trace
    assert len(back) == len(t)
    for a, b in zip(t, back, strict=True):
        assert (a.name, a.kind, a.type, a.call, a.module, a.depth, a.operation, a.inputs, a.outputs, a.num_params,
                a.passes, numbers(a.stats)) == (b.name, b.kind, b.type, b.call, b.module, b.depth, b.operation,
                                                b.inputs, b.outputs, b.num_params, b.passes, numbers(b.stats))
        assert (a.sample is None and b.sample is None) or (
            isinstance(a.sample, str | list) and a.sample == b.sample) or torch.equal(a.sample, b.sample)
    assert all(r.kind is RecordKind.OP for r in back if r.name.endswith(")"))
