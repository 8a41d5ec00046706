"""Every kind of tensor a valid model can make is recorded, never raised on: empty and zero-size tensors, complex,
float8 and wide unsigned dtypes, sparse, quantized, nested and meta tensors, containers that hold themselves.

Each case used to raise (in the tracer, or when the trace was saved); each is traced with ops off and on, its
output unchanged, its record holding the shape and dtype, a sample only where there are values to read, and
the trace file round-trips.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from pipeline.document.document import trace_document
from pipeline.document.fileformat import json_text, loads, zip_bytes
from pipeline.trace import TraceFault, take_sample, trace

pytestmark = pytest.mark.filterwarnings("ignore:.*(nested tensors|quantized tensor creation|Sparse CSR).*:UserWarning")


class Apply(nn.Module):
    """Runs ``fn`` in its own forward (so ``ops=True`` records it), then an identity module (recorded always)."""

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn, self.out = fn, nn.Identity()

    def forward(self, x):
        return self.out(self.fn(x))


def traced(model: nn.Module, x, ops: bool):
    with torch.no_grad(), trace(model, ops=ops) as t:
        y = model(x)
    return t, y


def round_trips(t) -> None:
    """Both file forms open again with the same shapes, dtypes, statistics and samples."""
    doc = trace_document(t, "a test")
    for back in (loads(zip_bytes(doc), "t.zip"), loads(json_text(doc).encode(), "t.json")):
        assert [(r.name, r.call, r.outputs, r.stats) for r in back.trace] == \
               [(r.name, r.call, r.outputs, r.stats) for r in t]
        for a, b in zip(t, back.trace, strict=True):
            assert (a.sample is None and b.sample is None) or torch.equal(a.sample, b.sample)


@pytest.mark.parametrize("ops", [False, True])
def test_an_empty_tensor_made_in_the_forward_like_a_kv_cache(ops):
    """Hugging Face decoders start their key/value cache as ``torch.tensor([])``: sampling it raised IndexError."""
    model = Apply(lambda x: torch.cat([torch.tensor([]), x.flatten()]))
    x = torch.randn(2, 3)
    t, y = traced(model, x, ops)
    assert torch.equal(y, x.flatten())
    if ops:
        empty = t["tensor()"]
        assert empty.output_shape == [0] and empty.sample is None and empty.stats is None
    assert t["out"].output_shape == [6] and t["out"].sample.shape == ()  # the first of six values
    round_trips(t)


@pytest.mark.parametrize("ops", [False, True])
def test_a_zero_size_batch(ops):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    t, y = traced(model, torch.randn(0, 3), ops)
    assert y.shape == (0, 4)
    for record in t:
        assert record.output_shape == [0, 4] and record.sample is None and record.stats is None
    assert take_sample(torch.randn(0, 3)) is None
    round_trips(t)


@pytest.mark.parametrize("ops", [False, True])
def test_a_complex_output_has_its_shape_and_no_sample(ops):
    """A Fourier transform's output: the trace was made, but saving it failed on the complex sample's dtype."""
    model = Apply(lambda x: torch.fft.fft(x))
    x = torch.randn(2, 8)
    t, y = traced(model, x, ops)
    assert torch.equal(y, torch.fft.fft(x))
    record = t["out"]
    assert record.output_shape == [2, 8] and record.dtype == "complex64"
    assert record.sample is None and record.stats is None
    round_trips(t)


@pytest.mark.parametrize("ops", [False, True])
@pytest.mark.parametrize(("dtype", "stored"), [(torch.float8_e4m3fn, torch.float32), (torch.uint16, torch.int64),
                                               (torch.uint32, torch.int64), (torch.uint64, torch.float64)])
def test_dtypes_a_file_cannot_store_keep_a_widened_sample(ops, dtype, stored):
    model = Apply(lambda x: (x.abs() * 4).to(dtype))
    t, _ = traced(model, torch.randn(2, 3), ops)
    record = t["out"]
    assert record.dtype == str(dtype).removeprefix("torch.") and record.sample.dtype == stored
    assert record.sample.shape == (3,) and record.stats.count == 6
    round_trips(t)


@pytest.mark.parametrize("ops", [False, True])
@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_a_sparse_output(ops, layout):
    model = Apply(lambda x: x.to_sparse() if layout == "coo" else x.to_sparse_csr())
    t, y = traced(model, torch.randn(2, 3), ops)
    assert y.layout != torch.strided
    record = t["out"]
    assert record.output_shape == [2, 3] and record.sample is None and record.stats is None
    round_trips(t)


@pytest.mark.parametrize("ops", [False, True])
def test_a_quantized_output_is_sampled_by_the_values_it_stands_for(ops):
    model = Apply(lambda x: torch.quantize_per_tensor(x, 0.1, 0, torch.quint8))
    x = torch.rand(2, 3)
    t, y = traced(model, x, ops)
    record = t["out"]
    assert record.dtype == "quint8" and record.output_shape == [2, 3]
    assert torch.equal(record.sample, y.dequantize()[0]) and record.stats.max == pytest.approx(y.dequantize().max())
    round_trips(t)


@pytest.mark.parametrize("ops", [False, True])
@pytest.mark.parametrize("layout", [torch.strided, torch.jagged])
def test_a_nested_tensor_has_its_ragged_dimension_as_unknown(ops, layout):
    model = Apply(lambda x: torch.nested.nested_tensor([x[0], x[1, :2]], layout=layout))
    t, _ = traced(model, torch.randn(2, 3), ops)
    record = t["out"]
    assert record.output_shape == [2, None] and record.sample is None and record.stats is None
    round_trips(t)


@pytest.mark.parametrize("ops", [False, True])
def test_a_container_that_holds_itself_is_described_to_a_bounded_depth(ops):
    def loop(x):
        box: list = [x]
        box.append(box)
        return box

    t, y = traced(Apply(loop), torch.randn(2, 3), ops)
    assert y[1] is y and t["out"].output_shape == [2, 3]
    round_trips(t)


def test_a_meta_tensor_has_its_shape_and_no_values():
    model = nn.Linear(3, 4, device="meta")
    t, y = traced(model, torch.randn(2, 3, device="meta"), True)
    assert y.is_meta and t.root.output_shape == [2, 4] and t.root.sample is None
    round_trips(t)


def test_a_broken_extra_repr_does_not_stop_the_trace():
    class Odd(nn.Module):
        def forward(self, x):
            return x * 2

        def extra_repr(self) -> str:
            raise AttributeError("no such attribute")

    t, _ = traced(nn.Sequential(Odd()), torch.randn(2, 3), False)
    assert t["0"].operation == "Odd(…)"


class Catches(nn.Module):
    """A forward that catches every error of its part, as some library code does."""

    def __init__(self) -> None:
        super().__init__()
        self.part = nn.Linear(3, 3)

    def forward(self, x):
        try:
            return self.part(x)
        except Exception:
            return x


def test_a_failure_of_the_tracer_is_ours_even_when_the_model_catches_it(monkeypatch):
    from pipeline.trace import capture

    def broken(value, depth=0):
        raise IndexError("index 0 is out of bounds")

    monkeypatch.setattr(capture, "describe", broken)
    for model in (nn.Sequential(nn.Linear(3, 3)), Catches()):
        with pytest.raises(TraceFault, match=r"pipeline-trace could not record .*IndexError.*please report"), \
                torch.no_grad(), trace(model):
            model(torch.randn(2, 3))
        assert not capture.nn.modules.module._global_forward_hooks  # cleaned up all the same
