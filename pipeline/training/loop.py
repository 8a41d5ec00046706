"""The training loop: seeded mini-batches, callbacks per batch and per epoch, a held-out validation pass.

A lesson supplies ``step(model, batch) -> StepOutput``; the loop owns the optimiser, the order of
batches, the bookkeeping and a plain-English observation per epoch (``pipeline.training.observations``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from pipeline.training.observations import observe
from pipeline.training.results import BatchResult, EpochResult
from pipeline.training.settings import check, setting


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings shared by every lesson."""

    epochs: int = setting(5, 1, 50, "Epochs", "Full passes over the training sentences.")
    lr: float = setting(0.002, 0.0001, 1.0, "Learning rate",
                        "Adam step size. Try 0.5 or 1 to see what too high a rate does.")
    batch_size: int = setting(32, 4, 256, "Batch size", "Examples per gradient step.")
    seed: int = setting(0, 0, 2**31 - 1, "Seed", "Same seed, same data, same weights, same numbers.")

    def __post_init__(self) -> None:
        check(self)


@dataclass
class StepOutput:
    """One batch's mean loss and its metric counts, e.g. ``{"accuracy": (correct, total)}``."""

    loss: torch.Tensor
    weight: int  # how many items the mean loss averages over (examples or real tokens)
    counts: dict[str, tuple[int, int]]


class StopTraining(Exception):
    """Raised by a callback to stop training at once; ``fit`` returns the epochs finished so far and
    restores the weights they ended with (the partial epoch is discarded)."""


class Callback:
    """Hooks into training; every method is a no-op unless overridden."""

    def on_train_start(self, total_batches: int) -> None:
        """Called once before the first batch, with the number of batches to come."""

    def on_batch_end(self, result: BatchResult) -> None:
        """Called after every optimiser step."""

    def on_epoch_end(self, result: EpochResult) -> None:
        """Called after each epoch's validation pass."""

    def on_train_end(self, history: list[EpochResult]) -> None:
        """Called once after the last epoch."""


Step = Callable[[nn.Module, Sequence[torch.Tensor]], StepOutput]


def resolve_device(name: str = "auto") -> str:
    """``auto`` -> ``cuda`` when a CUDA GPU is present, else ``cpu``; ``cuda`` without one is refused."""
    if name not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA GPU is available here; use --device cpu or auto")
    return "cuda" if name == "auto" and torch.cuda.is_available() else name if name != "auto" else "cpu"

_SEEDING = threading.Lock()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Build a model's initial weights from ``seed``, safely while other threads train.

    Module constructors draw from PyTorch's one global generator. The block holds a process-wide
    lock and restores the generator afterwards, so concurrent trainings (one per learner in the
    app) each get exactly the weights their seed promises. Training itself draws from its own
    generator (see ``fit``) and runs unlocked.
    """
    with _SEEDING, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def batches(tensors: Sequence[torch.Tensor], size: int, generator: torch.Generator | None = None
            ) -> Iterator[list[torch.Tensor]]:
    """Yield aligned slices of ``tensors`` in mini-batches; shuffled when a generator is given."""
    n = len(tensors[0])
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    for start in range(0, n, size):
        idx = order[start : start + size]
        yield [t[idx] for t in tensors]


def fit(model: nn.Module, step: Step, train: Sequence[torch.Tensor], val: Sequence[torch.Tensor],
        cfg: TrainConfig, callbacks: Sequence[Callback] = (), chance: float = 0.0) -> list[EpochResult]:
    """Train ``model`` with Adam for ``cfg.epochs`` epochs and return one EpochResult per epoch.

    A callback may raise ``StopTraining`` (a cancel button, a time limit): training stops at once, the
    weights go back to where the last finished epoch left them, and the finished epochs are returned.
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    generator = torch.Generator().manual_seed(cfg.seed)
    num_batches = -(-len(train[0]) // cfg.batch_size)
    history: list[EpochResult] = []
    finished: dict[str, torch.Tensor] | None = _snapshot(model)
    try:
        for cb in callbacks:
            cb.on_train_start(num_batches * cfg.epochs)
        for epoch in range(1, cfg.epochs + 1):
            started = time.perf_counter()
            model.train()
            totals = _Totals()
            for i, batch in enumerate(batches(train, cfg.batch_size, generator), start=1):
                out = step(model, batch)
                optimizer.zero_grad(set_to_none=True)
                out.loss.backward()
                optimizer.step()
                loss = totals.add(out)
                if callbacks:
                    done = BatchResult(epoch, i, num_batches, loss, _ratio(out.counts["accuracy"]))
                    for cb in callbacks:
                        cb.on_batch_end(done)
            val_totals = evaluate(model, step, val, cfg.batch_size)
            result = _epoch_result(epoch, totals, val_totals, time.perf_counter() - started)
            history.append(result)
            result.observation = observe(history, chance)  # what the curve shows so far, in words
            finished = _snapshot(model) if epoch < cfg.epochs else None
            for cb in callbacks:
                cb.on_epoch_end(result)
    except StopTraining:
        if finished is not None:
            model.load_state_dict(finished)
        model.eval()
    for cb in callbacks:
        cb.on_train_end(history)
    return history


def _snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of the weights, to go back to if training is stopped mid-epoch."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def evaluate(model: nn.Module, step: Step, data: Sequence[torch.Tensor], batch_size: int) -> _Totals:
    """Loss and metric counts over ``data`` in eval mode, without gradients."""
    model.eval()
    totals = _Totals()
    with torch.no_grad():
        for batch in batches(data, batch_size):
            totals.add(step(model, batch))
    return totals


class _Totals:
    """Weighted sums of loss and metric counts over an epoch."""

    def __init__(self) -> None:
        self.loss_sum, self.weight = 0.0, 0
        self.counts: dict[str, tuple[int, int]] = {}

    def add(self, out: StepOutput) -> float:
        """Fold one batch in; return its loss as a float."""
        loss = out.loss.item()
        self.loss_sum += loss * out.weight
        self.weight += out.weight
        for name, (hit, total) in out.counts.items():
            h, t = self.counts.get(name, (0, 0))
            self.counts[name] = (h + hit, t + total)
        return loss

    @property
    def loss(self) -> float:
        return self.loss_sum / max(self.weight, 1)

    def metric(self, name: str) -> float:
        return _ratio(self.counts.get(name, (0, 0)))


def _ratio(counts: tuple[int, int]) -> float:
    hit, total = counts
    return hit / total if total else 0.0


def _epoch_result(epoch: int, train: _Totals, val: _Totals, seconds: float) -> EpochResult:
    extra = {}
    for name in train.counts:
        if name != "accuracy":
            extra[name], extra[f"val_{name}"] = train.metric(name), val.metric(name)
    return EpochResult(epoch, train.loss, train.metric("accuracy"), val.loss, val.metric("accuracy"),
                       extra, seconds=seconds)
