"""One call's record: what a module (or a functional op) received and produced, never the tensors.

A record keeps the nested structure of inputs and outputs (shapes and dtypes), the parameter count,
a bounded sample of the first example *in the tensor's own shape*, and min / max / mean / std over
the whole output tensor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

import torch

MAX_CONTAINER_ITEMS = 16  # a tuple/list/dict longer than this is described by its first items only
MAX_NESTING = 32  # containers deeper than this are described by their type name (a list holding itself ends here)
MAX_SAMPLE_TEXT = 200  # characters kept of a text sample

Shape = list[int | None]
Sample = torch.Tensor | str | list[str] | None  # a CPU tensor in the sampled tensor's own shape, or text


class RecordKind(StrEnum):
    """What made a record: a module's forward, or a torch function called inside one (``ops=True``)."""

    MODULE = "module"
    OP = "op"


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """Shape and dtype of one tensor (or of a ragged batch of texts, dtype ``"str"``)."""

    shape: tuple[int | None, ...]
    dtype: str

    def __str__(self) -> str:
        dims = ", ".join("?" if d is None else str(d) for d in self.shape)
        kind = "Text" if self.dtype == "str" else "Tensor"
        return f"{kind}[{dims}]"


@dataclass(frozen=True, slots=True)
class Container:
    """A tuple, list or named tuple of described items (``name`` is set for named tuples)."""

    kind: str  # "tuple" | "list" | "namedtuple"
    items: tuple[Structure, ...]
    name: str = ""
    fields: tuple[str, ...] = ()


# A nested description: TensorSpec leaves in Containers and dicts; other values by type name; None.
Structure = TensorSpec | Container | dict | str | None


@dataclass(frozen=True, slots=True)
class Stats:
    """Min / max / mean / (population) standard deviation over every value of a tensor."""

    min: float
    max: float
    mean: float
    std: float
    count: int

    def to_dict(self) -> dict[str, float]:
        return {"min": self.min, "max": self.max, "mean": self.mean, "std": self.std, "count": self.count}


_DTYPE_NAMES: dict[torch.dtype, str] = {}


def dtype_name(dtype: torch.dtype) -> str:
    """``torch.float32`` -> ``"float32"`` (cached: ``str(dtype)`` is slow on a hot path)."""
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype).removeprefix("torch.")
    return name


_SPECS: dict[tuple[torch.Size, torch.dtype], TensorSpec] = {}
MAX_SPECS = 4096


def tensor_spec(x: torch.Tensor) -> TensorSpec:
    """The (immutable, shared) spec of a tensor's shape and dtype: a loop sees the same few shapes again
    and again, so specs are made once and reused."""
    try:
        key = (x.shape, x.dtype)
    except RuntimeError:  # a nested tensor of strided layout has no single shape
        return TensorSpec(shape_of(x), dtype_name(x.dtype))
    spec = _SPECS.get(key)
    if spec is None:
        if len(_SPECS) >= MAX_SPECS:
            _SPECS.clear()
        spec = _SPECS[key] = TensorSpec(shape_of(x), dtype_name(x.dtype))
    return spec


def shape_of(x: torch.Tensor) -> tuple[int | None, ...]:
    """``x``'s shape as plain ints; a dimension whose size varies (a nested tensor's ragged one) is None."""
    try:
        return tuple(d if type(d) is int else None for d in x.shape)
    except RuntimeError:  # a strided nested tensor: the sizes of its parts, one row each
        sizes = x._nested_tensor_size()
        return (sizes.shape[0], *(int(c[0]) if bool((c == c[0]).all()) else None for c in sizes.T))


_TENSOR, _PARAMETER = torch.Tensor, torch.nn.Parameter


def describe(value: Any, depth: int = 0) -> Structure:
    """Describe inputs or outputs as nested Containers / dicts of TensorSpec.

    An LSTM's ``(output, (h, c))`` becomes ``Container(tuple, (TensorSpec, Container(tuple, ...)))``.
    Lists of strings (a batch of texts or token lists) become one ragged TensorSpec of dtype ``"str"``.
    Containers nested deeper than ``MAX_NESTING`` are described by their type name.
    """
    kind = type(value)
    if kind is _TENSOR or kind is _PARAMETER:  # the common cases first: this runs twice per call traced
        return tensor_spec(value)
    if kind is tuple and depth < MAX_NESTING:
        return _container("tuple", tuple([describe(v, depth + 1) for v in value[:MAX_CONTAINER_ITEMS]]))
    if isinstance(value, torch.Tensor):
        return tensor_spec(value)
    if depth >= MAX_NESTING and isinstance(value, tuple | list | dict):
        return kind.__name__
    if isinstance(value, tuple):
        items = tuple([describe(v, depth + 1) for v in value[:MAX_CONTAINER_ITEMS]])
        if hasattr(value, "_fields"):
            return Container("namedtuple", items, type(value).__name__, tuple(value._fields[:MAX_CONTAINER_ITEMS]))
        return _container("tuple", items)
    if isinstance(value, str) or is_text_batch(value):
        return TensorSpec(tuple(ragged_shape(value)), "str")
    if isinstance(value, list):
        return _container("list", tuple([describe(v, depth + 1) for v in value[:MAX_CONTAINER_ITEMS]]))
    if isinstance(value, dict):
        return {str(k): describe(v, depth + 1) for k, v in list(value.items())[:MAX_CONTAINER_ITEMS]}
    return None if value is None else kind.__name__


_CONTAINERS: dict[tuple, Container] = {}


def _container(kind: str, items: tuple) -> Container:
    """Containers are immutable: the same shapes in a loop share one object instead of building it again.

    Looked up by the identity of the items, which are themselves shared (``tensor_spec``, this cache): hashing
    them by value would walk every nested spec on each call. The cached Container holds its items, so an id
    in a key always names the live object it was made from; equal but distinct items (a dict of outputs,
    described afresh each call) only miss the cache.
    """
    key = (kind, *map(id, items))
    found = _CONTAINERS.get(key)
    if found is None:
        if len(_CONTAINERS) >= MAX_SPECS:
            _CONTAINERS.clear()
        found = _CONTAINERS[key] = Container(kind, items)
    return found


def format_structure(s: Structure) -> str:
    """Render a structure readably: ``(Tensor[4, 10, 64], (Tensor[1, 4, 64], Tensor[1, 4, 64]))``."""
    if isinstance(s, Container):
        if s.kind == "namedtuple":
            return f"{s.name}(" + ", ".join(f"{f}={format_structure(v)}" for f, v in zip(s.fields, s.items,
                                                                                           strict=False)) + ")"
        inner = ", ".join(format_structure(v) for v in s.items)
        if s.kind == "list":
            return f"[{inner}]"
        return f"({inner},)" if len(s.items) == 1 else f"({inner})"
    if isinstance(s, dict):
        return "{" + ", ".join(f"{k}: {format_structure(v)}" for k, v in s.items()) + "}"
    return "None" if s is None else str(s)


def first_spec(s: Structure) -> TensorSpec | None:
    """The first TensorSpec in a structure, depth first (the "main" tensor of an output)."""
    return depth_first(s, lambda v: isinstance(v, TensorSpec), _children)


def _children(value: Any) -> Sequence[Any]:
    if isinstance(value, Container):
        return value.items
    return tuple(value.values()) if isinstance(value, dict) else ()


def depth_first(value: Any, is_leaf: Callable[[Any], bool], children: Callable[[Any], Sequence[Any]],
                depth: int = 0) -> Any:
    """The first item of a nested value, depth first, for which ``is_leaf`` holds; None if there is none
    (looked for ``MAX_NESTING`` levels deep at most)."""
    if is_leaf(value):
        return value
    if depth >= MAX_NESTING:
        return None
    for item in children(value):
        found = depth_first(item, is_leaf, children, depth + 1)
        if found is not None:
            return found
    return None


def merge_structure(a: Structure, b: Structure) -> Structure:
    """Merge two calls' structures: a dimension that differs becomes None."""
    if isinstance(a, TensorSpec) and isinstance(b, TensorSpec):
        if len(a.shape) != len(b.shape):
            return a
        return TensorSpec(tuple(x if x == y else None for x, y in zip(a.shape, b.shape, strict=True)), a.dtype)
    if isinstance(a, Container) and isinstance(b, Container) and a.kind == b.kind and len(a.items) == len(b.items):
        return Container(a.kind, tuple(merge_structure(x, y) for x, y in zip(a.items, b.items, strict=True)),
                         a.name, a.fields)
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return {k: merge_structure(a[k], b[k]) for k in a}
    return a


class RecordKey(NamedTuple):
    """Where a record sits in a forward pass: its name and which call of that name it is (0-based)."""

    name: str
    call: int


@dataclass(eq=False)
class Record:
    """What one call received and produced: one module's forward, or one functional op inside it.

    ``name`` is the module's dotted path (``""`` for the traced model itself) or, for an op, the
    path of the module it ran in plus the torch function, e.g. ``"attn.matmul()"``. ``call`` counts
    calls of that name within one forward pass (a decoder loop gives calls 0, 1, 2, ...); forward
    passes repeated inside one ``trace`` block merge into the first pass's records (``passes``).
    """

    name: str
    kind: RecordKind
    type: str  # module class name, or torch function name
    call: int
    module: str  # the module the call ran in: the module itself, or the one an op ran inside
    depth: int  # 0 for the traced model, +1 per level of nesting; an op sits one level below its module
    operation: str  # e.g. "Linear(64 -> 3)", "LSTM(50, 64, batch_first=True)", "softmax"
    inputs: Structure = None
    outputs: Structure = None
    num_params: int = 0
    sample: Sample = None
    stats: Stats | None = None
    passes: int = 0

    @property
    def key(self) -> RecordKey:
        return RecordKey(self.name, self.call)

    @property
    def label(self) -> str:
        """How to show the record: its name, or its type for the traced model itself."""
        return self.name or self.type

    @property
    def tensor(self) -> torch.Tensor:
        """The sample as a tensor (a lesson reading its own model's call); TypeError if it holds text or nothing."""
        if not isinstance(self.sample, torch.Tensor):
            raise TypeError(f"the sample of {self.label!r} is not a tensor: {type(self.sample).__name__}")
        return self.sample

    @property
    def words(self) -> list[str]:
        """The sample as words (a text step's output); TypeError if it is a tensor, one string or nothing."""
        if not isinstance(self.sample, list):
            raise TypeError(f"the sample of {self.label!r} is not a list of words: {type(self.sample).__name__}")
        return self.sample

    @property
    def input_shape(self) -> Shape:
        spec = first_spec(self.inputs)
        return list(spec.shape) if spec else []

    @property
    def output_shape(self) -> Shape:
        spec = first_spec(self.outputs)
        return list(spec.shape) if spec else []

    @property
    def dtype(self) -> str | None:
        spec = first_spec(self.outputs)
        return spec.dtype if spec else None

    @property
    def sample_shape(self) -> list[int]:
        """The sample's own shape: a slice of the first example (``[]`` for text or nothing)."""
        return list(self.sample.shape) if isinstance(self.sample, torch.Tensor) else []

    def values(self) -> Any:
        """The sample as nested Python lists in its own shape (text as it is; None if nothing was sampled)."""
        return self.sample.tolist() if isinstance(self.sample, torch.Tensor) else self.sample

    def __repr__(self) -> str:
        call = f", call={self.call}" if self.call else ""
        out = format_structure(self.outputs)
        return f"Record({self.label!r}{call}, {self.kind.value}, {self.operation}, out={out})"


def is_text_batch(value: Any) -> bool:
    """A non-empty list whose items are strings or lists of strings (texts, token lists)."""
    if not isinstance(value, list) or not value:
        return False
    first = value[0]
    return isinstance(first, str) or (isinstance(first, list) and all(isinstance(t, str) for t in first))


def ragged_shape(value: str | Sequence) -> list[int | None]:
    """Shape of a text batch: each level's length, or None where the lengths vary."""
    if isinstance(value, str):
        return [len(value)]
    lengths = {len(v) for v in value}
    return [len(value), lengths.pop() if len(lengths) == 1 else None]


def clip_text(text: str) -> str:
    return text if len(text) <= MAX_SAMPLE_TEXT else text[: MAX_SAMPLE_TEXT - 1] + "…"
