"""Capture: forward hooks on every module and, with ``ops=True``, a TorchFunctionMode for functional ops.

Samples and statistics are computed on the tensor's own device while the forward runs, and moved to
the host in one transfer at the end of each forward pass -- never one ``.item()`` per module.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from pipeline.trace.record import (
    MAX_CONTAINER_ITEMS,
    Record,
    RecordKind,
    Stats,
    clip_text,
    depth_first,
    describe,
    is_text_batch,
    merge_structure,
    ragged_shape,
)
from pipeline.trace.result import Trace

SAMPLE_LIMIT = 4096  # values of the first example kept per record: all heads' 10x10 attention fits
_HALF = (torch.float16, torch.bfloat16)


_FAST_PATH_LAYERS = (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer)


def _no_op(module: nn.Module, args: tuple) -> None:
    return None


class TraceError(ValueError):
    """A model or argument the tracer cannot work with, with the reason."""


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
        yield tracer.result
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
        tracer.flush()


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
    if shared:  # a parameter appears in two modules (tied weights): count each module's exactly
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


@dataclass
class _Pending:
    """Device tensors of a new record, waiting for the end-of-pass transfer."""

    record: Record
    stats: tuple[torch.Tensor, ...]  # (min, max, sum, 2-norm) as 0-d tensors, or () for none
    count: int
    sample: torch.Tensor | None


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
        self._pending: list[_Pending] = []
        self._by_tensor: dict[int, tuple[weakref.ref, int, _Pending]] = {}  # this pass's outputs, by identity
        self._operations: dict[nn.Module, str] = {}
        self._signatures: dict[tuple[str, int], Any] = {}  # shapes of each record's last call, to skip re-describing

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

    def _pre_hook(self, module: nn.Module, args: tuple) -> None:
        info = self.names.get(module)
        if info is None or threading.get_ident() != self.thread:
            return
        name, depth, opaque = info
        if not self.open:  # nothing is running: a new forward pass starts
            self._seen.clear()
            self.result.passes += 1
        record = self._record_for(name, lambda call: Record(
            name, RecordKind.MODULE, type(module).__name__, call, name, depth, self._operation(module),
            num_params=self._params[module]))
        self.open.append(_Open(record, opaque))

    def _post_hook(self, module: nn.Module, args: tuple, *rest: Any) -> None:
        if module not in self.names or threading.get_ident() != self.thread:
            return
        call = self.open.pop()
        if len(rest) != 2:  # PyTorch calls (module, args, result) when the forward raised: nothing to record
            return
        kwargs, output = rest
        self.busy = True
        try:
            self.observe(call.record, args + tuple(kwargs.values()) if kwargs else args, output)
        finally:
            self.busy = False
        if not self.open:
            self.flush()

    def _operation(self, module: nn.Module) -> str:
        """``operation_of(module)``, once per module per block (an LSTM's extra_repr alone costs ~50 µs)."""
        text = self._operations.get(module)
        if text is None:
            text = self._operations[module] = operation_of(module)
        return text

    def _record_for(self, name: str, make) -> Record:
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
        fn = op_name(func)
        name = f"{where.name}.{fn}()" if where.name else f"{fn}()"
        record = self._record_for(name, lambda call: Record(
            name, RecordKind.OP, fn, call, where.name, where.depth + 1, op_signature(fn, args, kwargs)))
        self.busy = True
        try:
            self.observe(record, args + tuple(kwargs.values()) if kwargs else args, output)
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
                self._pending.append(self._gathered(record, main))
            elif main is not None:
                record.sample = clip_text(main) if isinstance(main, str) else _text_sample(main)
        else:  # a later pass: compare cheap shape fingerprints, describe again only when they change
            signature = (_signature(inputs), _signature(output))
            if signature != self._signatures.get((record.name, record.call)):
                record.inputs = merge_structure(record.inputs, describe(inputs))
                record.outputs = merge_structure(record.outputs, describe(output))
                self._signatures[record.name, record.call] = signature
        record.passes += 1

    def _gathered(self, record: Record, x: torch.Tensor) -> _Pending:
        """Sample and statistics of ``x`` -- shared with an earlier call that returned the very same tensor,
        unchanged (a container's output is often its last part's output)."""
        earlier = self._by_tensor.get(id(x))
        if earlier is not None and earlier[0]() is x and earlier[1] == x._version:
            return _Pending(record, earlier[2].stats, earlier[2].count, earlier[2].sample)
        pending = _gather(record, x, self.sample_limit)
        self._by_tensor[id(x)] = (weakref.ref(x), x._version, pending)
        return pending

    def flush(self) -> None:
        """Bring the pending samples and statistics to the host: one transfer for all non-CPU tensors."""
        pending, self._pending = self._pending, []
        self._by_tensor.clear()
        tensors = [t for p in pending for t in (*p.stats, p.sample) if t is not None]
        if any(t.device.type != "cpu" for t in tensors):
            moved = iter(to_host(tensors))
            for p in pending:
                p.stats = tuple(next(moved) for _ in p.stats)
                p.sample = next(moved) if p.sample is not None else None
        stats = [t for p in pending for t in p.stats]
        values = iter(torch.stack(stats).tolist() if stats else ())  # one op, not an .item() per number
        for p in pending:
            p.record.sample = p.sample
            if p.stats:
                p.record.stats = _stats(*(next(values) for _ in p.stats), p.count)


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


def _gather(record: Record, x: torch.Tensor, limit: int) -> _Pending:
    """Start a record's sample and statistics on the tensor's device (no host sync here)."""
    if x.requires_grad:
        x = x.detach()
    if x.is_meta or x.is_complex() or x.numel() == 0:
        return _Pending(record, (), 0, None if x.is_meta else take_sample(x, limit))
    values = x if x.dtype is torch.float32 or x.dtype is torch.float64 else x.float()
    lo, hi = torch.aminmax(values)
    # Sum and the 2-norm (sum of squares, squared on the host): two fast reductions, where var_mean's
    # Welford pass is ~10x slower on CPU.
    return _Pending(record, (lo, hi, values.sum(), torch.linalg.vector_norm(values)), x.numel(),
                    take_sample(x, limit))


def take_sample(x: torch.Tensor, limit: int = SAMPLE_LIMIT) -> torch.Tensor:
    """A copy of the first example of ``x``, cut to at most ``limit`` values keeping its number of dimensions.

    For a (B, 10, 50) tensor and a limit of 64 the sample is ``x[0, :8, :8]``: each dimension gets an
    equal share of the budget, and what a short dimension leaves over goes to the next.
    """
    first = x[0] if x.dim() >= 1 else x
    if first.numel() <= limit:
        return first.clone()
    index, budget = [], limit
    for i, d in enumerate(first.shape):
        n = min(d, max(1, int(budget ** (1 / (first.dim() - i)) + 1e-9)))
        index.append(slice(0, n))
        budget = max(1, budget // n)
    return first[tuple(index)].clone()


def to_host(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """Copy device tensors to the CPU in a single transfer: packed as bytes, moved once, unpacked."""
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
    extra = module.extra_repr().split("\n")[0]
    return f"{type(module).__name__}({extra})"


_REFLECTED = {"add", "sub", "mul", "matmul", "truediv", "floordiv", "pow", "mod", "and", "or", "xor"}
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
        return _RENAMED.get(core.rstrip("_"), core)
    return name


def op_signature(fn: str, args: tuple, kwargs: dict) -> str:
    """``softmax(dim=-1)``, ``transpose(1, 2)``: the function with its non-tensor arguments."""
    parts = [_literal(a) for a in args if _literal(a) is not None]
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


def _text_sample(batch: list) -> str | list[str]:
    first = batch[0]
    return clip_text(first) if isinstance(first, str) else [clip_text(t) for t in first[:SAMPLE_LIMIT]]


def _signature(value: Any) -> Any:
    """A cheap, comparable fingerprint of a value's shapes (no objects built for tensors)."""
    if isinstance(value, torch.Tensor):
        return value.shape
    if isinstance(value, tuple | list):
        if value and isinstance(value[0], str | list):
            return ragged_shape(value) if is_text_batch(value) else len(value)
        return tuple(_signature(v) for v in value[:MAX_CONTAINER_ITEMS])
    if isinstance(value, dict):
        return tuple((k, _signature(v)) for k, v in list(value.items())[:MAX_CONTAINER_ITEMS])
    return type(value)
