"""Capture: forward hooks on every module and, with ``ops=True``, a TorchFunctionMode for functional ops.

Samples and statistics are computed on the tensor's own device and moved to the host in one transfer
at the end of each forward pass -- never one ``.item()`` per module. On the CPU each record's numbers
are reduced as its module returns (a reduction costs nanoseconds to start). On an accelerator, where
every kernel launch costs microseconds, each output is copied once into a float32 buffer as its module
returns, and at the end of the pass the statistics of all of them come from a handful of segmented
reductions and the samples from one gather: a few launches per pass instead of five per module.
"""

from __future__ import annotations

import functools
import math
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from pipeline.trace.record import (
    MAX_CONTAINER_ITEMS,
    MAX_NESTING,
    Record,
    RecordKind,
    Stats,
    clip_text,
    depth_first,
    describe,
    is_text_batch,
    merge_structure,
    ragged_shape,
    shape_of,
)
from pipeline.trace.result import Trace

SAMPLE_LIMIT = 4096  # values of the first example kept per record: all heads' 10x10 attention fits
_HALF = (torch.float16, torch.bfloat16)
_EAGER_DEVICES = frozenset({"cpu", "meta"})  # devices where each output is reduced as its module returns
_BATCHED_DTYPES = (torch.float32, torch.float16, torch.bfloat16)  # exact in the float32 copy
BATCH_MAX_VALUES = 1 << 20  # a larger output is reduced on its own: its copy would cost more than launches
BATCH_MAX_TOTAL = 1 << 25  # values copied per pass at most (128 MiB); later outputs are reduced on their own


_FAST_PATH_LAYERS = (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer)


def _no_op(module: nn.Module, args: tuple) -> None:
    return None


class TraceError(ValueError):
    """A model or argument the tracer cannot work with, with the reason."""


class TraceFault(RuntimeError):
    """The tracer itself failed while recording a call: our bug, never the model's, and worth a report."""


@contextmanager
def trace(model: nn.Module, *, ops: bool = False, train: bool | None = None,
          sample_limit: int = SAMPLE_LIMIT) -> Iterator[Trace]:
    """Record every module call of ``model`` (itself included) inside the ``with`` block.

    Args:
        model: any ``nn.Module``; the model itself and all its submodules are recorded.
        ops: also record the torch functions called inside the model's own ``forward`` code
            (``matmul``, ``softmax``, ``cat``, ``@``, ...). Ops inside PyTorch's built-in modules
            are that module's implementation and are not recorded; the module is.
        train: put the model in train (True) or eval (False) mode for the block; None leaves it.
        sample_limit: at most this many values of each output's first example are kept.

    Hooks and the op mode are removed and every module's train/eval mode restored when the block
    ends, also when the forward raises. Hooks the user registered are left alone and keep firing.
    A failure of the tracer's own code while recording raises ``TraceFault`` from the block, even if
    the model's code caught it on its way out of the forward.
    """
    if not isinstance(model, nn.Module):
        raise TraceError(f"trace() needs a torch.nn.Module, got {type(model).__name__}")
    if isinstance(sample_limit, bool) or not isinstance(sample_limit, int) or sample_limit < 1:
        raise TraceError(f"sample_limit must be a positive integer, got {sample_limit!r}")
    tracer = _Tracer(model, ops, sample_limit)
    modes = {m: m.training for m in tracer.names}
    handles: list[torch.utils.hooks.RemovableHandle] = []
    mode = _OpCapture(tracer) if ops else None
    try:
        if train is not None:
            model.train(train)
        handles = tracer.attach()
        if mode is not None:
            mode.__enter__()
        try:
            yield tracer.result
        except Exception as e:
            if tracer.fault is not None and e is not tracer.fault:  # the model wrapped or replaced our error
                raise tracer.fault from e
            raise
        if tracer.fault is not None:  # the model's code caught our error and went on: the trace is not whole
            raise tracer.fault
    finally:
        if mode is not None:
            mode.__exit__(None, None, None)
        for handle in handles:
            handle.remove()
            # PyTorch's handle forgets the with_kwargs entry of a global hook; left there, it would send
            # every module call in the process down the slow path for good.
            getattr(nn.modules.module, "_global_forward_hooks_with_kwargs", {}).pop(handle.id, None)
        for module, was_training in modes.items():
            if module.training != was_training:  # nn.Module's __setattr__ is slow: only when it changed
                module.training = was_training
        try:
            tracer.flush()
        except Exception as e:
            raise tracer.failed(e, "the end of the forward pass") from e


def traced_forward(model: nn.Module, *args: Any, ops: bool = False, **kwargs: Any) -> tuple[Any, Trace]:
    """One eval-mode forward of ``model`` without gradients, traced: (output, trace)."""
    with torch.no_grad(), trace(model, train=False, ops=ops) as t:
        output = model(*args, **kwargs)
    return output, t


def _refuse_torchscript(name: str, module: nn.Module) -> None:
    if isinstance(module, torch.jit.ScriptModule):
        where = f"its submodule {name!r}" if name else "the model"
        raise TraceError(f"{where} is a TorchScript module ({type(module).__name__}): TorchScript runs "
                         "without forward hooks, so nothing inside it can be recorded. Trace the original "
                         "nn.Module, before torch.jit.script or torch.jit.trace.")


def _module_table(model: nn.Module) -> tuple[dict[nn.Module, tuple[str, int, bool]], dict[nn.Module, int]]:
    """One walk over the model: each module's (path, depth, is a PyTorch built-in) and parameter count."""
    names, own, seen, shared = {}, {}, set(), False
    for name, module in model.named_modules():
        _refuse_torchscript(name, module)
        names[module] = (name, name.count(".") + 1 if name else 0, type(module).__module__.startswith("torch."))
        count = 0
        for p in module._parameters.values():
            if p is not None:
                count += p.numel()
                shared = shared or id(p) in seen
                seen.add(id(p))
        own[module] = count
    # A parameter in two modules (tied weights), or a module held in two places (one layer used twice): count
    # each module's exactly, every parameter once.
    held = [child for module in names for child in module._modules.values() if child is not None]
    if shared or len(held) != len(set(held)):
        return names, {m: sum(p.numel() for p in m.parameters()) for m in names}
    totals: dict[nn.Module, int] = {}
    for module in reversed(names):  # pre-order reversed: every module after all of its descendants
        totals[module] = own[module] + sum(totals.get(child, 0) for child in module._modules.values())
    return names, totals


@dataclass
class _Open:
    """A module call that has started and not yet returned."""

    record: Record
    opaque: bool  # a PyTorch built-in module: ops inside it are its implementation, not recorded


@dataclass(eq=False)
class _Gathered:
    """The numbers of one output tensor, still on its device, waiting for the end-of-pass transfer.

    Reduced at once (``stats`` and ``sample`` set), or batched: ``copy`` holds its values as float32 and
    the end of the pass reduces all copies together (``sample_at``: the sample's flat positions).
    """

    count: int
    stats: tuple[torch.Tensor, ...] = ()  # (min, max, sum, 2-norm) as 0-d tensors, or () for none
    sample: torch.Tensor | None = None
    copy: torch.Tensor | None = None
    sample_at: torch.Tensor | None = None  # CPU int64 positions in ``copy``
    sample_shape: tuple[int, ...] = ()
    dtype: torch.dtype | None = None


class _Tracer:
    """Owns the hooks, the open-call stack and the records of one ``trace`` block."""

    def __init__(self, model: nn.Module, ops: bool, sample_limit: int) -> None:
        self.model, self.sample_limit = model, sample_limit
        self.names, self._params = _module_table(model)  # module -> (path, depth, is a built-in); -> params
        device = next((p.device.type for p in model.parameters()), "")
        self.result = Trace(type(model).__name__, ops=ops, device=device)
        self.open: list[_Open] = []
        self.thread = threading.get_ident()
        self.busy = False  # our own torch calls in a hook must not be recorded as ops
        self._seen: Counter[str] = Counter()
        self._pending: list[tuple[Record, _Gathered]] = []
        self._by_tensor: dict[int, tuple[weakref.ref, int, _Gathered]] = {}  # this pass's outputs, by identity
        self._copied = 0  # values held in this pass's float32 copies
        self._operations: dict[nn.Module, str] = {}
        self._signatures: dict[tuple[str, int], Any] = {}  # shapes of each record's last call, to skip re-describing
        self.fault: TraceFault | None = None  # the first failure of our own code in this block

    def attach(self) -> list[torch.utils.hooks.RemovableHandle]:
        """Two process-wide hooks that act on this model's modules only, called from this thread only.

        Two global hooks instead of two per module: registering per-module hooks costs more than a
        small model's whole forward pass. Other modules, and other threads, pass straight through.
        """
        handles = [nn.modules.module.register_module_forward_pre_hook(self._pre_hook),
                   nn.modules.module.register_module_forward_hook(self._post_hook, with_kwargs=True, always_call=True)]
        # PyTorch's Transformer layers take a fused fast path that skips their parts unless a hook is
        # attached to them; a no-op hook keeps their parts running, so the trace can show them.
        handles += [m.register_forward_pre_hook(_no_op) for m in self.names if isinstance(m, _FAST_PATH_LAYERS)]
        return handles

    def failed(self, error: Exception, where: str) -> TraceFault:
        """Our own code failed while recording ``where``: the block's ``TraceFault``, kept so that the block raises
        it even if the model's code catches it (the first failure, if there were several)."""
        if self.fault is None:
            self.fault = TraceFault(f"pipeline-trace could not record {where} ({type(error).__name__}: "
                                    f"{' '.join(str(error).split())[:300]}): a bug in pipeline-trace, not in your "
                                    "model -- please report it")
        return self.fault

    def _pre_hook(self, module: nn.Module, args: tuple) -> None:
        info = self.names.get(module)
        if info is None or threading.get_ident() != self.thread:
            return
        try:
            self._start(module, info)
        except Exception as e:
            raise self.failed(e, f"the call of {info[0] or type(module).__name__!r}") from e

    def _start(self, module: nn.Module, info: tuple[str, int, bool]) -> None:
        name, depth, opaque = info
        if not self.open:  # nothing is running: a new forward pass starts
            self._seen.clear()
            self.result.passes += 1
        record = self._record_for(name, lambda call: Record(
            name, RecordKind.MODULE, type(module).__name__, call, name, depth, self._operation(module),
            num_params=self._params[module]))
        self.open.append(_Open(record, opaque))

    def _post_hook(self, module: nn.Module, args: tuple, *rest: Any) -> None:
        if module not in self.names or threading.get_ident() != self.thread or not self.open:
            return
        call = self.open.pop()
        if len(rest) != 2:  # PyTorch calls (module, args, result) when the forward raised: nothing to record
            return
        kwargs, output = rest
        self.busy = True  # our own torch calls must not be recorded as ops
        try:
            self.observe(call.record, args + tuple(kwargs.values()) if kwargs else args, output)
            if not self.open:
                self.flush()
        except Exception as e:
            raise self.failed(e, f"the output of {call.record.label!r}") from e
        finally:
            self.busy = False

    def _operation(self, module: nn.Module) -> str:
        """``operation_of(module)``, once per module per block (an LSTM's extra_repr alone costs ~50 µs)."""
        text = self._operations.get(module)
        if text is None:
            text = self._operations[module] = operation_of(module)
        return text

    def _record_for(self, name: str, make: Callable[[int], Record]) -> Record:
        """The record of this call of ``name`` in the current pass: the first pass creates it, later ones reuse it."""
        call = self._seen[name]
        self._seen[name] = call + 1
        record = self.result.get(name, call)
        if record is None:
            record = make(call)
            self.result.add(record)
        return record

    def record_op(self, func: Any, args: tuple, kwargs: dict, output: Any) -> None:
        """Record one functional op that ran directly in the innermost open (non built-in) module."""
        where = self.open[-1].record
        self.busy = True
        try:
            fn = op_name(func)
            name = f"{where.name}.{fn}()" if where.name else f"{fn}()"
            record = self._record_for(name, lambda call: Record(
                name, RecordKind.OP, fn, call, where.name, where.depth + 1, op_signature(fn, args, kwargs)))
            self.observe(record, args + tuple(kwargs.values()) if kwargs else args, output)
        except Exception as e:
            raise self.failed(e, f"a torch function ({getattr(func, '__name__', '?')}) in {where.label!r}") from e
        finally:
            self.busy = False

    def observe(self, record: Record, inputs: Any, output: Any) -> None:
        """Fold one call into its record: the first pass describes it in full, later ones widen shapes."""
        if record.passes == 0:
            record.inputs, record.outputs = describe(inputs), describe(output)
            main = output if isinstance(output, torch.Tensor) else \
                output[0] if type(output) is tuple and output and isinstance(output[0], torch.Tensor) else \
                _first_leaf(output)
            if isinstance(main, torch.Tensor):
                if not (record.kind is RecordKind.OP and record.type in UNINITIALIZED):
                    self._pending.append((record, self._gathered(main)))
            elif main is not None:
                record.sample = clip_text(main) if isinstance(main, str) else _text_sample(main, self.sample_limit)
        else:  # a later pass: compare cheap shape fingerprints, describe again only when they change
            signature = (_signature(inputs), _signature(output))
            if signature != self._signatures.get((record.name, record.call)):
                record.inputs = merge_structure(record.inputs, describe(inputs))
                record.outputs = merge_structure(record.outputs, describe(output))
                self._signatures[record.name, record.call] = signature
        record.passes += 1

    def _gathered(self, x: torch.Tensor) -> _Gathered:
        """Sample and statistics of ``x`` -- shared with an earlier call that returned the very same tensor,
        unchanged (a container's output is often its last part's output)."""
        earlier = self._by_tensor.get(id(x))
        if earlier is not None and earlier[0]() is x and earlier[1] == x._version:
            return earlier[2]
        n = x.numel()
        if x.device.type not in _EAGER_DEVICES and x.dtype in _BATCHED_DTYPES and 0 < n <= BATCH_MAX_VALUES \
                and self._copied + n <= BATCH_MAX_TOTAL and x.layout is torch.strided and not x.is_nested:
            self._copied += n
            gathered = _copied(x, self.sample_limit)
        else:
            gathered = _gather(x, self.sample_limit)
        self._by_tensor[id(x)] = (weakref.ref(x), x._version, gathered)
        return gathered

    def flush(self) -> None:
        """Bring the pending samples and statistics to the host: one transfer per device the model ran on."""
        pending, self._pending = self._pending, []
        self._by_tensor.clear()
        self._copied = 0
        unique = list({id(g): g for _, g in pending}.values())
        reduced = [g for g in unique if g.copy is None]
        batches = _reduce_copies([g for g in unique if g.copy is not None])
        tensors = [t for g in reduced for t in (*g.stats, g.sample) if t is not None]
        tensors += [t for batch in batches for t in batch[1:]]
        moved = iter(to_host(tensors))
        for g in reduced:
            g.stats = tuple(next(moved) for _ in g.stats)
            g.sample = next(moved) if g.sample is not None else None
        stats = [t for g in reduced for t in g.stats]
        values = iter(torch.stack(stats).tolist() if stats else ())  # one op, not an .item() per number
        numbers: dict[int, tuple[float, ...]] = {id(g): tuple(next(values) for _ in g.stats) for g in reduced}
        for group, _, _ in batches:
            table, samples = next(moved).tolist(), next(moved)
            for g, row, sample in zip(group, table, samples.split([len(_at(g)) for g in group]), strict=True):
                numbers[id(g)] = tuple(row)
                g.sample = sample.to(g.dtype).reshape(g.sample_shape)
        for record, g in pending:
            record.sample = g.sample
            if numbers.get(id(g)):
                lo, hi, total, norm = numbers[id(g)]
                record.stats = _stats(lo, hi, total, norm, g.count)


def _stats(lo: float, hi: float, total: float, norm: float, count: int) -> Stats:
    mean, squares = total / count, norm * norm
    var = max(squares / count - mean * mean, 0.0) if math.isfinite(squares) else math.nan
    return Stats(lo, hi, mean, math.sqrt(var) if var == var else math.nan, count)


class _OpCapture(TorchFunctionMode):
    """Sees every torch function called while the block runs; records those run in a traced module's forward."""

    def __init__(self, tracer: _Tracer) -> None:
        super().__init__()
        self.tracer = tracer

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        output = func(*args, **kwargs)  # this mode is off while func runs: nested calls are not seen
        tracer = self.tracer
        if tracer.busy or not tracer.open or tracer.open[-1].opaque or not _has_tensor(output):
            return output
        tracer.record_op(func, args, kwargs, output)
        return output


def _gather(x: torch.Tensor, limit: int) -> _Gathered:
    """Start the sample and statistics of ``x`` on its device (no host sync here).

    A tensor with no values to read (no elements, meta, sparse, nested, complex) gets neither: its record
    keeps its shape. Any other failure to read one (a tensor subclass that refuses these ops) does the same:
    reading the values is a courtesy, and a valid model must never fail because of it.
    """
    try:
        read = readable(x.detach() if x.requires_grad else x)
        if read is None:
            return _Gathered(0)
        x = read
        values = x if x.dtype is torch.float32 or x.dtype is torch.float64 else x.float()
        lo, hi = torch.aminmax(values)
        # Sum and the 2-norm (sum of squares, squared on the host): two fast reductions, where var_mean's
        # Welford pass is ~10x slower on CPU.
        return _Gathered(x.numel(), (lo, hi, values.sum(), torch.linalg.vector_norm(values)), take_sample(x, limit))
    except (RuntimeError, TypeError, ValueError, NotImplementedError, IndexError):
        return _Gathered(0)


# The dtypes a sample is kept in (those a trace file stores); a sample of another dtype is widened to one of them.
SAMPLE_DTYPES = frozenset({torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int8, torch.int16,
                           torch.int32, torch.int64, torch.uint8, torch.bool})


def readable(x: torch.Tensor) -> torch.Tensor | None:
    """The values of ``x`` a sample and statistics are made of, as a plain strided tensor of a sample dtype:
    ``x`` itself, or dequantized (a quantized tensor's real values), or widened (float8 to float32, uint16
    and uint32 to int64, uint64 to float64); None where there are no values to read: no elements, no storage
    (meta), not one grid of numbers (sparse, nested), or complex (no order, no single number per value)."""
    if x.is_nested or x.layout is not torch.strided or x.is_meta or x.is_complex():
        return None
    if x.is_quantized:
        x = x.dequantize()
    if x.numel() == 0:
        return None
    if x.dtype in SAMPLE_DTYPES:
        return x
    if x.is_floating_point():
        return x.float()
    return x.double() if x.dtype == torch.uint64 else x.long()


def _copied(x: torch.Tensor, limit: int) -> _Gathered:
    """``x``'s values copied as float32 (one kernel), to be reduced with the pass's other copies."""
    copy = torch.empty(x.shape, dtype=torch.float32, device=x.device)
    copy.copy_(x.detach())  # also a snapshot: a later in-place op (ReLU(inplace=True)) cannot change it
    positions, shape = _sample_positions(tuple(x.shape), limit)
    return _Gathered(x.numel(), copy=copy.view(-1), sample_at=positions, sample_shape=shape, dtype=x.dtype)


def _copy(g: _Gathered) -> torch.Tensor:
    """A batched tensor's float32 copy (set by ``_gather`` until the reductions are queued)."""
    assert g.copy is not None, "only batched copies are reduced together"
    return g.copy


def _at(g: _Gathered) -> torch.Tensor:
    """A batched tensor's sample positions in its copy (set with the copy)."""
    assert g.sample_at is not None, "only batched copies are reduced together"
    return g.sample_at


def _reduce_copies(copies: list[_Gathered]) -> list[tuple[list[_Gathered], torch.Tensor, torch.Tensor]]:
    """Per device: (the copies, their statistics as an (n, 4) table, their samples end to end).

    One concatenation, four segmented reductions and one gather per device, whatever the number of
    records; nothing is synchronised with the host (the segment bounds go to the device with the
    sample positions in one copy, and ``unsafe=True`` skips PyTorch's checks, which would read them back).
    """
    by_device: dict[torch.device, list[_Gathered]] = {}
    for g in copies:
        by_device.setdefault(_copy(g).device, []).append(g)
    batches = []
    for device, group in by_device.items():
        bounds, sizes = [0], []
        for g in group:
            bounds.append(bounds[-1] + g.count)
            sizes.append(len(_at(g)))
        starts = torch.tensor(bounds)  # each copy's offset added to its sample's positions in two ops, not n
        positions = torch.cat([_at(g) for g in group]) + starts[:-1].repeat_interleave(torch.tensor(sizes))
        index = torch.cat([starts, positions]).to(device, non_blocking=True)
        offsets, positions = index[: len(bounds)], index[len(bounds):]
        values = torch.cat([_copy(g) for g in group])
        for g in group:
            g.copy = None  # the buffers can go as soon as the reductions are queued
        table = torch.stack([torch.segment_reduce(v, how, offsets=offsets, unsafe=True) for v, how in
                             ((values, "min"), (values, "max"), (values, "sum"), (values * values, "sum"))], dim=1)
        table[:, 3].sqrt_()  # the 2-norm, as the per-record path gives it
        batches.append((group, table, values[positions]))
    return batches


def _sample_sizes(first: tuple[int, ...], limit: int) -> tuple[int, ...]:
    """How much of each dimension of the first example the sample keeps (see ``take_sample``)."""
    if math.prod(first) <= limit:
        return first
    sizes, budget = [], limit
    for i, d in enumerate(first):
        n = min(d, max(1, int(budget ** (1 / (len(first) - i)) + 1e-9)))
        sizes.append(n)
        budget = max(1, budget // n)
    return tuple(sizes)


@functools.lru_cache(maxsize=512)
def _sample_positions(shape: tuple[int, ...], limit: int) -> tuple[torch.Tensor, tuple[int, ...]]:
    """The flat (row-major) positions of ``take_sample``'s values in a tensor of ``shape``, and its shape."""
    first = shape[1:] if shape else ()
    sizes = _sample_sizes(first, limit)
    positions = torch.zeros(sizes, dtype=torch.int64)
    stride = 1
    for i in reversed(range(len(sizes))):
        positions += (torch.arange(sizes[i]) * stride).view([-1 if j == i else 1 for j in range(len(sizes))])
        stride *= first[i]
    return positions.view(-1), sizes


def take_sample(x: torch.Tensor, limit: int = SAMPLE_LIMIT) -> torch.Tensor | None:
    """A copy of the first example of ``x``, cut to at most ``limit`` values keeping its number of dimensions;
    None when ``x`` has no values (a zero-size batch, an empty tensor).

    For a (B, 10, 50) tensor and a limit of 64 the sample is ``x[0, :8, :8]``: each dimension gets an
    equal share of the budget, and what a short dimension leaves over goes to the next.
    """
    if x.numel() == 0:
        return None
    first = x[0] if x.dim() >= 1 else x
    if first.numel() <= limit:
        return first.clone()
    return first[tuple(slice(0, n) for n in _sample_sizes(tuple(first.shape), limit))].clone()


def to_host(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """``tensors`` on the CPU: those already there as they are, the others in one transfer per device."""
    out = list(tensors)
    by_device: dict[torch.device, list[int]] = {}
    for i, t in enumerate(tensors):
        if t.device.type != "cpu":
            by_device.setdefault(t.device, []).append(i)
    for indices in by_device.values():
        for i, moved in zip(indices, packed_copy([tensors[i] for i in indices]), strict=True):
            out[i] = moved
    return out


def packed_copy(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """Copy tensors of one device to the CPU in a single transfer: packed as bytes, moved once, unpacked."""
    flat = [t.contiguous().reshape(-1).view(torch.uint8) for t in tensors]
    buffer = torch.cat(flat).cpu()
    out, offset = [], 0
    for t, f in zip(tensors, flat, strict=True):
        chunk = buffer[offset : offset + f.numel()].clone()  # clone: a fresh, aligned storage per tensor
        out.append(chunk.view(t.dtype).reshape(t.shape))
        offset += f.numel()
    return out


def operation_of(module: nn.Module) -> str:
    """A compact description of what a module does, e.g. ``Linear(64 -> 3)`` or ``LSTM(50, 64)``."""
    if isinstance(module, nn.Linear):
        return f"Linear({module.in_features} -> {module.out_features})"
    if isinstance(module, nn.Embedding):
        return f"Embedding({module.num_embeddings} words -> {module.embedding_dim})"
    try:
        extra = str(module.extra_repr()).split("\n")[0]
    except Exception:  # the model's own extra_repr failed: its forward may still be fine, and is what we trace
        extra = "…"
    return f"{type(module).__name__}({extra[:200]})"


# Ops that allocate without writing: their "values" are whatever was in memory, so they get a shape, no sample.
UNINITIALIZED = frozenset({"empty", "empty_like", "new_empty", "empty_strided", "new_empty_strided"})

_REFLECTED = {"add", "sub", "mul", "matmul", "div", "truediv", "floordiv", "pow", "mod", "and", "or", "xor"}
_RENAMED = {"truediv": "div", "floordiv": "floor_divide", "and": "logical_and", "or": "logical_or"}


def op_name(func: Any) -> str:
    """A readable name for a torch function: ``torch.matmul`` and ``Tensor.__matmul__`` are both ``matmul``."""
    name = getattr(func, "__name__", type(func).__name__)
    if name == "__get__":  # a tensor attribute such as .T or .mT
        return getattr(getattr(func, "__self__", None), "__name__", "get")
    if name.startswith("__") and name.endswith("__"):
        core = name[2:-2]
        if core[:1] in "ri" and core[1:] in _REFLECTED:
            core = core[1:] + ("_" if name[2] == "i" else "")
        base = core.rstrip("_")  # an in-place op keeps its mark when renamed: ``x //= y`` is floor_divide_
        return _RENAMED.get(base, base) + core[len(base):]
    return name


def op_signature(fn: str, args: tuple, kwargs: dict) -> str:
    """``softmax(dim=-1)``, ``transpose(1, 2)``: the function with its non-tensor arguments."""
    parts = [text for a in args if (text := _literal(a)) is not None]
    parts += [f"{k}={_literal(v)}" for k, v in kwargs.items() if v is not None and not k.startswith("_")
              and _literal(v) is not None]
    text = f"{fn}({', '.join(parts)})"
    return text if len(text) <= 60 else text[:59] + "…)"


def _literal(value: Any) -> str | None:
    if isinstance(value, bool | int | float | str) or value is None:
        return repr(value)
    if isinstance(value, torch.dtype):
        return str(value)
    if isinstance(value, tuple | list) and all(isinstance(v, int) for v in value) and len(value) <= 6:
        return repr(tuple(value))
    return None


def _has_tensor(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    return isinstance(value, tuple | list) and bool(value) and isinstance(value[0], torch.Tensor)


def _children(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return value
    return tuple(value.values()) if isinstance(value, dict) else ()


def _first_leaf(value: Any) -> Any:
    """The main value of an output: the first tensor, or a text batch, depth first."""
    return depth_first(value, lambda v: isinstance(v, torch.Tensor | str) or is_text_batch(v), _children)


def _text_sample(batch: list, limit: int) -> str | list[str]:
    """The first example of a text batch: its text, clipped, or at most ``limit`` of its tokens."""
    first = batch[0]
    return clip_text(first) if isinstance(first, str) else [clip_text(t) for t in first[:limit]]


def _signature(value: Any, depth: int = 0) -> Any:
    """A cheap, comparable fingerprint of a value's shapes (no objects built for tensors)."""
    if isinstance(value, torch.Tensor):
        return shape_of(value) if value.is_nested else value.shape
    if isinstance(value, str):  # described as Text[length] at any depth
        return len(value)
    if depth >= MAX_NESTING:
        return type(value)
    if isinstance(value, tuple | list):
        if is_text_batch(value):
            return ragged_shape(value)
        # every other container item by item: a list of lists of tensors is not known by its length alone
        return tuple(_signature(v, depth + 1) for v in value[:MAX_CONTAINER_ITEMS])
    if isinstance(value, dict):
        return tuple((k, _signature(v, depth + 1)) for k, v in list(value.items())[:MAX_CONTAINER_ITEMS])
    return type(value)
