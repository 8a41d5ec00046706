"""What training reports: a result after each optimiser step and after each epoch (what the loop, its callbacks,
the observations and every page read)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

_LEAVES = (int, float, str, bool, type(None))


def plain(value: Any) -> Any:
    """``value`` with its dataclasses made dicts, as ``dataclasses.asdict`` makes them, down to the leaves: dicts,
    lists and tuples (named tuples too) are made anew around what they hold; a tuple of numbers or strings is kept
    as it is (immutable), and other leaves are shared, not deep-copied."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*[plain(v) for v in value])
    if isinstance(value, tuple) and all(type(v) in _LEAVES for v in value):
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict):
        return type(value)((plain(k), plain(v)) for k, v in value.items())
    return value


@dataclass(frozen=True)
class BatchResult:
    """What the loop reports after each optimiser step."""

    epoch: int
    batch: int
    num_batches: int
    loss: float
    accuracy: float


@dataclass
class EpochResult:
    """Training and validation numbers for one epoch, and what they mean."""

    epoch: int
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float
    metrics: dict[str, float] = field(default_factory=dict)  # extra metrics, train and "val_" ones
    observation: str = ""
    seconds: float = 0.0
    probes: dict[str, Any] = field(default_factory=dict)  # probe input -> the model's answer after this epoch
    # probe input -> view key -> that stage's view (a lesson's view object) as it was after this epoch: the time-lapse
    inside: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the most frequent words' embeddings after this epoch, projected on the run's two fixed directions: (words, 2)
    space: tuple[tuple[float, float], ...] = ()

    def to_dict(self) -> dict:
        """The result as plain dicts, lists and tuples (what ``dataclasses.asdict`` gives), for a file or a copy.

        Made without ``asdict``'s deep copy of every number: the views an epoch keeps (its time-lapse) hold tens of
        thousands of them in tuples, which nothing can change, and copying each one was 13 % of the server's CPU
        while a class of 30 trained (py-spy, bench/load.py): every run is packed for the run cache."""
        return plain(self)
