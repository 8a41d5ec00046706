"""Record what flows through every module of a PyTorch model, with forward hooks.

    from pipeline.trace import trace
    with trace(model) as stages:
        model(x)
    stages[0].name, stages[0].output_shape, stages[0].sample

A record keeps shapes, dtype, parameter count, a bounded sample of the first example and summary
statistics -- never the tensors themselves -- so a trace's memory does not grow with the batch or
the number of batches. A record describes its module's first call in full (sample and statistics).
Repeated forward passes (a training loop inside the ``with`` block) merge into the records of the
first pass at almost no cost: ``calls`` counts them and a dimension that differs between calls
becomes ``None`` ("variable"). To see values after training, trace a pass after training.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

SAMPLE_SIZE = 64  # at most this many values of the first example are kept per record
MAX_CONTAINER_ITEMS = 16  # a tuple/list/dict longer than this is described by its first items only
MAX_SAMPLE_TEXT = 200  # characters kept of a text sample

Shape = list[int | None]


@dataclass(frozen=True)
class TensorSpec:
    """Shape and dtype of one tensor (or of a ragged batch of sequences)."""

    shape: tuple[int | None, ...]
    dtype: str

    def __str__(self) -> str:
        dims = ", ".join("?" if d is None else str(d) for d in self.shape)
        kind = "Text" if self.dtype == "str" else "Tensor"
        return f"{kind}[{dims}]"


Structure = TensorSpec | tuple | list | dict | str | None


def describe(value: Any) -> Structure:
    """Describe a module's inputs or outputs as nested tuples/lists/dicts of TensorSpec.

    An LSTM's ``(output, (h, c))`` becomes ``(TensorSpec, (TensorSpec, TensorSpec))``. Lists of
    strings (a batch of texts or token lists) become one ragged TensorSpec with dtype ``"str"``.
    """
    if isinstance(value, torch.Tensor):
        return TensorSpec(tuple(value.shape), str(value.dtype).removeprefix("torch."))
    if isinstance(value, str) or _is_text_batch(value):
        return TensorSpec(tuple(_ragged_shape(value)), "str")
    if isinstance(value, tuple | list):
        items = [describe(v) for v in value[:MAX_CONTAINER_ITEMS]]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {str(k): describe(v) for k, v in list(value.items())[:MAX_CONTAINER_ITEMS]}
    return None if value is None else type(value).__name__


def format_structure(s: Structure) -> str:
    """Render a structure readably: ``(Tensor[4, 10, 64], (Tensor[1, 4, 64], Tensor[1, 4, 64]))``."""
    if isinstance(s, tuple):
        inner = ", ".join(format_structure(v) for v in s)
        return f"({inner},)" if len(s) == 1 else f"({inner})"
    if isinstance(s, list):
        return "[" + ", ".join(format_structure(v) for v in s) + "]"
    if isinstance(s, dict):
        return "{" + ", ".join(f"{k}: {format_structure(v)}" for k, v in s.items()) + "}"
    return "None" if s is None else str(s)


def first_spec(s: Structure) -> TensorSpec | None:
    """The first TensorSpec in a structure, depth first (the "main" tensor of an output)."""
    return _depth_first(s, lambda v: isinstance(v, TensorSpec))


def _depth_first(value: Any, is_leaf: Callable[[Any], bool]) -> Any:
    """The first item of a nested tuple/list/dict, depth first, for which ``is_leaf`` holds."""
    if is_leaf(value):
        return value
    items = value.values() if isinstance(value, dict) else value if isinstance(value, tuple | list) else ()
    for item in items:
        found = _depth_first(item, is_leaf)
        if found is not None:
            return found
    return None


def merge_structure(a: Structure, b: Structure) -> Structure:
    """Merge two calls' structures: a dimension that differs becomes None."""
    if isinstance(a, TensorSpec) and isinstance(b, TensorSpec):
        if len(a.shape) != len(b.shape):
            return a
        return TensorSpec(tuple(x if x == y else None for x, y in zip(a.shape, b.shape, strict=True)), a.dtype)
    if isinstance(a, tuple | list) and type(a) is type(b) and len(a) == len(b):
        return type(a)(merge_structure(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return {k: merge_structure(a[k], b[k]) for k in a}
    return a


@dataclass
class Stats:
    """Min / max / mean / std of the values folded in, from float64 running sums."""

    count: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    def update(self, t: torch.Tensor) -> None:
        """Fold every value of ``t`` into the statistics."""
        if t.numel() == 0 or t.is_complex():
            return
        x = t.detach() if t.is_floating_point() else t.detach().float()
        lo, hi = torch.aminmax(x)  # three cheap reductions: far faster than var_mean on small tensors
        self.count += x.numel()
        self.total += x.sum().item()  # per call in float32; the running totals are float64
        self.total_sq += torch.linalg.vector_norm(x).item() ** 2
        self.min, self.max = min(self.min, lo.item()), max(self.max, hi.item())

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0

    @property
    def std(self) -> float:
        return math.sqrt(max(self.total_sq / self.count - self.mean**2, 0.0)) if self.count else 0.0

    def to_dict(self) -> dict[str, float] | None:
        if not self.count:
            return None
        return {"min": self.min, "max": self.max, "mean": self.mean, "std": self.std}


@dataclass
class StageRecord:
    """What one module call (or one preprocessing step) received and produced."""

    name: str
    module_type: str
    operation: str
    input_structure: Structure
    output_structure: Structure
    num_params: int = 0
    sample: list[Any] = field(default_factory=list)
    sample_shape: list[int] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)
    calls: int = 0
    _signature: Any = field(default=None, repr=False, compare=False)  # shapes of the last call, to skip re-describing

    @property
    def input_shape(self) -> Shape:
        spec = first_spec(self.input_structure)
        return list(spec.shape) if spec else []

    @property
    def output_shape(self) -> Shape:
        spec = first_spec(self.output_structure)
        return list(spec.shape) if spec else []

    @property
    def dtype(self) -> str | None:
        spec = first_spec(self.output_structure)
        return spec.dtype if spec else None

    def observe(self, inputs: Any, output: Any, sample_size: int = SAMPLE_SIZE) -> None:
        """Fold one call into the record: the first sets sample and stats, later ones widen shapes."""
        signature = (_signature(inputs), _signature(output))
        if self.calls == 0:
            self.input_structure, self.output_structure = describe(inputs), describe(output)
            main = _first_leaf(output)
            self.sample, self.sample_shape = take_sample(main, sample_size)
            if isinstance(main, torch.Tensor):
                self.stats.update(main)
        elif signature != self._signature:  # shapes changed: mark the dimensions that vary
            self.input_structure = merge_structure(self.input_structure, describe(inputs))
            self.output_structure = merge_structure(self.output_structure, describe(output))
        self._signature = signature
        self.calls += 1

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary of the record."""
        return {
            "name": self.name,
            "module_type": self.module_type,
            "operation": self.operation,
            "input_shape": self.input_shape,
            "output_shape": self.output_shape,
            "input": format_structure(self.input_structure),
            "output": format_structure(self.output_structure),
            "dtype": self.dtype,
            "num_params": self.num_params,
            "sample": self.sample,
            "sample_shape": self.sample_shape,
            "stats": self.stats.to_dict(),
            "calls": self.calls,
        }


def take_sample(value: Any, size: int = SAMPLE_SIZE) -> tuple[list[Any], list[int]]:
    """A bounded, shape-preserving slice of the first example of ``value``, and its shape.

    For a tensor of shape (B, 10, 50) and size 64 the slice is ``value[0, :8, :8]``: each dimension
    gets an equal share of the budget, and what a short dimension leaves over goes to the next.
    """
    if isinstance(value, torch.Tensor):
        x = value.detach()
        x = x[0] if x.dim() >= 1 else x
        index, budget = [], size
        for i, d in enumerate(x.shape):
            n = min(d, max(1, int(budget ** (1 / (x.dim() - i)) + 1e-9)))
            index.append(slice(0, n))
            budget = max(1, budget // n)
        part = x[tuple(index)].cpu()
        return part.flatten().tolist(), list(part.shape)
    if isinstance(value, str):
        return [_clip(value)], []
    if isinstance(value, list | tuple) and value:
        first = value[0]
        if isinstance(first, str):
            return [_clip(first)], []
        if isinstance(first, list | tuple):
            items = [_clip(v) if isinstance(v, str) else v for v in first[:size]]
            return items, [len(items)]
    return [], []


class _Tracer:
    """Owns the hooks and the records of one ``trace`` block."""

    def __init__(self, model: nn.Module, sample_size: int, include_root: bool) -> None:
        self.model, self.sample_size, self.include_root = model, sample_size, include_root
        self.records: list[StageRecord] = []
        self._by_key: dict[tuple[str, int], StageRecord] = {}
        self._seen_in_pass: Counter[str] = Counter()
        self._open: list[tuple[StageRecord | None, tuple]] = []  # calls started, not yet returned

    def attach(self) -> list[torch.utils.hooks.RemovableHandle]:
        handles = []
        for name, module in self.model.named_modules():
            # The root is always hooked: its call delimits a forward pass, recorded or not.
            recorded = module is not self.model or self.include_root
            handles.append(module.register_forward_pre_hook(self._pre_hook(name, recorded), with_kwargs=True))
            handles.append(module.register_forward_hook(self._post_hook, with_kwargs=True, always_call=True))
        return handles

    def _pre_hook(self, name: str, recorded: bool):
        def hook(module: nn.Module, args: tuple, kwargs: dict) -> None:
            if not self._open:  # nothing is running: a new top-level forward pass starts
                self._seen_in_pass.clear()
            if not recorded:
                self._open.append((None, ()))
                return
            key = (name, self._seen_in_pass[name])
            self._seen_in_pass[name] += 1
            record = self._by_key.get(key)
            if record is None:
                record = StageRecord(name, type(module).__name__, operation_of(module), None, None,
                                     num_params=sum(p.numel() for p in module.parameters()))
                self._by_key[key] = record
                self.records.append(record)
            self._open.append((record, args + tuple(kwargs.values()) if kwargs else args))

        return hook

    def _post_hook(self, module: nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        record, inputs = self._open.pop()
        if record is not None:
            record.observe(inputs, output, self.sample_size)  # reads detached values only


@contextmanager
def trace(
    model: nn.Module, *, train: bool | None = None, sample_size: int = SAMPLE_SIZE, include_root: bool = False
) -> Iterator[list[StageRecord]]:
    """Record every module call of ``model`` inside the ``with`` block, in execution order.

    Args:
        model: any ``nn.Module``; its submodules are traced too.
        train: put the model in train (True) or eval (False) mode for the block; None leaves it.
        sample_size: how many values of the first example each record keeps.
        include_root: also record ``model`` itself (under the name ``""``).

    Hooks are removed and every module's train/eval mode restored when the block ends, also when
    the forward raises. Hooks the user registered are left alone and keep firing.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"trace() needs a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(sample_size, int) or sample_size < 1:
        raise ValueError(f"sample_size must be a positive integer, got {sample_size!r}")
    modes = {m: m.training for m in model.modules()}
    tracer = _Tracer(model, sample_size, include_root)
    handles: list[torch.utils.hooks.RemovableHandle] = []
    try:
        if train is not None:
            model.train(train)
        handles = tracer.attach()
        yield tracer.records
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes.items():
            module.training = mode


def operation_of(module: nn.Module) -> str:
    """A compact description of what a module does, e.g. ``Linear(64 -> 3)`` or ``LSTM(50, 64)``."""
    if isinstance(module, nn.Linear):
        return f"Linear({module.in_features} -> {module.out_features})"
    if isinstance(module, nn.Embedding):
        return f"Embedding({module.num_embeddings} words -> {module.embedding_dim})"
    extra = module.extra_repr().split("\n")[0]
    return f"{type(module).__name__}({extra})"


def _first_leaf(value: Any) -> Any:
    """The main value of an output: the first tensor, or a text batch, depth first."""
    return _depth_first(value, lambda v: isinstance(v, torch.Tensor | str) or _is_text_batch(v))


def _signature(value: Any) -> Any:
    """A cheap, comparable fingerprint of a value's shapes (no objects built for tensors)."""
    if isinstance(value, torch.Tensor):
        return value.shape
    if isinstance(value, tuple | list):
        if value and isinstance(value[0], str | list):
            return _ragged_shape(value) if _is_text_batch(value) else len(value)
        return tuple(_signature(v) for v in value[:MAX_CONTAINER_ITEMS])
    if isinstance(value, dict):
        return tuple((k, _signature(v)) for k, v in list(value.items())[:MAX_CONTAINER_ITEMS])
    return type(value)


def _is_text_batch(value: Any) -> bool:
    """A non-empty list whose items are strings or lists of strings (texts, token lists)."""
    if not isinstance(value, list) or not value:
        return False
    first = value[0]
    return isinstance(first, str) or (isinstance(first, list) and all(isinstance(t, str) for t in first))


def _ragged_shape(value: str | Sequence) -> list[int | None]:
    """Shape of a text batch: each level's length, or None where the lengths vary."""
    if isinstance(value, str):
        return [len(value)]
    lengths = {len(v) for v in value}
    return [len(value), lengths.pop() if len(lengths) == 1 else None]


def _clip(text: str) -> str:
    return text if len(text) <= MAX_SAMPLE_TEXT else text[: MAX_SAMPLE_TEXT - 1] + "…"
