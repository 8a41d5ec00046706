"""What training reports: a result after each optimiser step and after each epoch (what the loop, its callbacks,
the observations and every page read)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
        return asdict(self)
