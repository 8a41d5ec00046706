"""What a training curve shows, in one label and one sentence per epoch, the way a teacher reads it.

Each epoch gets exactly one label. The rules judge absolute levels against guessing (accuracy
against ``chance`` = 1 / classes; the loss against ``ln(1 / chance)``, what a cross-entropy model
scores by spreading its bets evenly) as well as trends over the last ``WINDOW`` epochs. They are
tried in this order, and the first that fits names the epoch:

- ``diverging``: a loss became NaN or infinite, or the training loss rose three epochs running to
  over twice its best.
- ``unstable``: the training loss is far above guessing, is still above guessing after an unstable
  epoch, rose clearly from its best, or swings up and down (a learning rate that is too high).
- ``first epoch``: nothing to compare with yet.
- ``overfitting``: validation loss rose from its best for two epochs while training loss fell;
  said "from epoch N" until validation loss reaches a new best. If training loss stops falling
  meanwhile, the model is getting worse on both: ``unstable``.
- ``noisy``: validation accuracy zigzags by several points but improves overall.
- ``learning`` / ``learning slowly`` / ``barely learning`` / ``plateau``: how fast validation
  accuracy and loss improve over the window, and how far the loss still is from guessing.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from pipeline.training.results import EpochResult

WINDOW = 3  # epochs a trend is measured over (the latest epoch against the one WINDOW epochs before)
FAR_ABOVE_GUESS = 1.5  # training loss above this many times the guessing loss: unstable at once
HIGH_LOSS = 0.7  # validation loss above this share of the guessing loss: the model has learned little
NEAR_GUESS = 0.9  # ... above this share, or accuracy this close to chance (SKILL): next to nothing
SKILL = 0.1  # share of the way from chance to 100 % accuracy below which accuracy is "near chance"
RISE = 1.2  # training loss above this many times its best: it is rising, not jittering
SWING = 0.1  # a loss change of this share of the guessing loss (or of the first loss) is a real move
OVERFIT = 1.1  # validation loss above this many times its best counts as risen from it
FAST_POINTS, SLOW_POINTS = 3.0, 1.0  # validation accuracy gain per epoch, in percentage points
FAST_DROP, SLOW_DROP = 0.10, 0.01  # relative validation loss drop per epoch
NOISE_POINTS = 3.0  # accuracy moves at least this many points each way to count as a zigzag


class Label(enum.StrEnum):
    """The one word (or two) an epoch gets."""

    FIRST = "first epoch"
    BARELY = "barely learning"
    SLOWLY = "learning slowly"
    LEARNING = "learning"
    PLATEAU = "plateau"
    OVERFITTING = "overfitting"
    UNSTABLE = "unstable"
    DIVERGING = "diverging"
    NOISY = "noisy"


@dataclass(frozen=True)
class Observation:
    """One label from ``Label`` and a sentence that cites the numbers it rests on."""

    label: str
    text: str


class _Curve:
    """The numbers of a history, the guessing levels they are judged against, and the trend window."""

    def __init__(self, history: Sequence[EpochResult], chance: float) -> None:
        self.history = history
        self.epochs = [e.epoch for e in history]
        self.loss = [e.loss for e in history]
        self.val_loss = [e.val_loss for e in history]
        self.acc = [e.val_accuracy for e in history]
        self.chance = chance
        self.guess = math.log(1 / chance) if 0 < chance < 1 else None  # cross-entropy of an even guess
        first = self.loss[0] if math.isfinite(self.loss[0]) and self.loss[0] > 0 else 1.0
        self.scale = self.guess or first  # what counts as a big move of the loss
        self.n = len(history)
        self.start = max(0, self.n - 1 - WINDOW)  # index where the trend window begins

    def prefix(self, m: int) -> _Curve:
        """The curve of the first ``m`` epochs only."""
        return _Curve(self.history[:m], self.chance)

    def span(self) -> str:
        return f"epochs {self.epochs[self.start]}–{self.epochs[-1]}"

    def acc_trend(self) -> str:
        before, now = _pct(self.acc[self.start]), _pct(self.acc[-1])
        return f"validation accuracy {'steady at' if before == now else f'{before} →'} {now} %"

    def guessing(self) -> str:
        return f"guessing scores about {_pct(self.chance)} %" if self.chance > 0 else ""


def _pct(x: float) -> str:
    return f"{x * 100:.0f}"


def _num(x: float) -> str:
    return f"{x:.2f}" if abs(x) >= 0.1 else f"{x:.2g}"


def _nonfinite(c: _Curve) -> tuple[int, str] | None:
    """The first epoch whose training or validation loss is not finite, and what it became."""
    for epoch, loss, val in zip(c.epochs, c.loss, c.val_loss, strict=True):
        bad = next((x for x in (loss, val) if not math.isfinite(x)), None)
        if bad is not None:
            return epoch, "NaN (not a number)" if math.isnan(bad) else "infinite"
    return None


def _diverging(c: _Curve) -> Observation | None:
    """Non-finite loss, or a training loss that keeps climbing to over twice its best."""
    bad = _nonfinite(c)
    if bad is not None:
        return Observation(Label.DIVERGING, f"The loss became {bad[1]} at epoch {bad[0]}: diverging — the "
                                            "weights are broken; lower the learning rate and train again.")
    recent = c.loss[-WINDOW - 1:]
    climbing = c.n > WINDOW and all(b > a for a, b in pairwise(recent))
    if climbing and c.loss[-1] >= 2 * min(c.loss):
        return Observation(Label.DIVERGING, f"Training loss rose every epoch, {_num(recent[0])} → "
                                            f"{_num(c.loss[-1])} over {c.span()}: diverging — lower the "
                                            "learning rate.")
    return None


def _zigzag(values: Sequence[float], least: float) -> bool:
    """Whether a full window of ``values`` turns at every step, each step moving at least ``least``."""
    steps = [b - a for a, b in pairwise(values)]
    return len(steps) == WINDOW and all(abs(s) >= least for s in steps) and \
        all(a * b < 0 for a, b in pairwise(steps))


def _instability(c: _Curve) -> str | None:
    """Why the training loss of the latest epoch says the steps are too big, or None."""
    now, best = c.loss[-1], min(c.loss[:-1], default=c.loss[-1])
    if c.guess and now > FAR_ABOVE_GUESS * c.guess:
        return f"training loss {_num(now)} is {now / c.guess:.1f}× what guessing scores ({_num(c.guess)})"
    if now > RISE * best and now - best >= SWING * c.scale:
        at = c.epochs[c.loss.index(best)]
        return f"training loss rose from {_num(best)} (epoch {at}) to {_num(now)}"
    if _zigzag(c.loss[c.start:], SWING * c.scale):
        return f"training loss swings {' → '.join(_num(x) for x in c.loss[c.start:])} over {c.span()}"
    return None


def _unstable(c: _Curve) -> Observation | None:
    """Loss far above guessing, rising or swinging; or still above guessing after such an epoch."""
    reason = _instability(c)
    if reason is None and c.guess and c.loss[-1] > c.guess:
        since = next((c.epochs[m - 1] for m in range(1, c.n) if _instability(c.prefix(m))), None)
        if since is not None:
            reason = (f"training loss {_num(c.loss[-1])} is still above what guessing scores "
                      f"({_num(c.guess)}) since the run became unstable at epoch {since}")
    if reason is None:
        return None
    return Observation(Label.UNSTABLE, f"{reason[0].upper()}{reason[1:]}: unstable — the learning rate is "
                                       "likely too high.")


def _first(c: _Curve) -> Observation | None:
    if c.n > 1:
        return None
    guess = f" ({c.guessing()})" if c.chance > 0 else ""
    return Observation(Label.FIRST, f"First epoch: loss {_num(c.loss[0])}, validation accuracy "
                                    f"{_pct(c.acc[0])} %{guess}.")


def _risen_since(c: _Curve) -> int | None:
    """The epoch validation loss began to rise from its best (held until it reaches a new best), or None."""
    best = c.val_loss.index(min(c.val_loss))
    risen = [v > OVERFIT * c.val_loss[best] for v in c.val_loss[best + 1:]]
    twice = any(a and b for a, b in pairwise(risen))  # above the best two epochs running
    return c.epochs[best + 1] if twice else None


def _risen(c: _Curve) -> Observation | None:
    """Validation loss up from its best: overfitting while training loss falls, else getting worse."""
    since = _risen_since(c)
    if since is None:
        return None
    b = c.val_loss.index(min(c.val_loss))
    up = f"Validation loss is up from its best {_num(c.val_loss[b])} (epoch {c.epochs[b]}) to {_num(c.val_loss[-1])}"
    train = f"{_num(c.loss[b])} → {_num(c.loss[-1])}"
    if c.loss[-1] < c.loss[b]:
        return Observation(Label.OVERFITTING, f"{up} while training loss fell {train}: overfitting from epoch "
                                              f"{since} — epoch {c.epochs[b]}'s model generalised best.")
    return Observation(Label.UNSTABLE, f"{up} and training loss no longer falls ({train}): unstable — the model "
                                       "is getting worse; the learning rate is likely too high.")


def _gain(c: _Curve) -> tuple[float, float]:
    """Per epoch over the window: validation accuracy points gained, relative validation loss drop."""
    k = c.n - 1 - c.start
    points = (c.acc[-1] - c.acc[c.start]) * 100 / k
    before = c.val_loss[c.start]
    drop = (before - c.val_loss[-1]) / before / k if before > 0 else 0.0
    return points, drop


def _noisy(c: _Curve) -> Observation | None:
    """Validation accuracy zigzagging by several points while it improves overall."""
    window = c.acc[c.start:]
    zigzag = _zigzag([a * 100 for a in window], NOISE_POINTS)
    better = window[-1] > window[0] or c.val_loss[-1] < c.val_loss[c.start]
    if not (zigzag and better):
        return None
    path = " → ".join(_pct(a) for a in window)
    return Observation(Label.NOISY, f"Validation accuracy zigzags {path} % over {c.span()} but improves "
                                    "overall: noisy.")


def _progress(c: _Curve) -> Observation:
    """How fast the validation numbers improve, and how far the loss still is from guessing."""
    points, drop = _gain(c)
    loss = f"validation loss {_num(c.val_loss[c.start])} → {_num(c.val_loss[-1])}"
    high = c.guess is not None and c.val_loss[-1] > HIGH_LOSS * c.guess
    near = c.guess is not None and ((c.acc[-1] - c.chance) / (1 - c.chance) < SKILL
                                    or c.val_loss[-1] > NEAR_GUESS * c.guess)
    fast = points >= FAST_POINTS or drop >= FAST_DROP
    slow = points >= SLOW_POINTS or (high and drop >= SLOW_DROP)  # near guessing, any steady drop counts
    if fast and not high:
        label, why = Label.LEARNING, "improving"
    elif fast or slow:
        label = Label.SLOWLY
        why = f"still close to guessing ({_num(c.guess)})" if high and c.guess else "improving a little"
    elif near and c.guess is not None:  # near is only ever true with a guess
        label, why = Label.BARELY, f"hardly moving and next to guessing (loss {_num(c.guess)}, {c.guessing()})"
    else:
        label, why = Label.PLATEAU, "little change"
    return Observation(label, f"{c.acc_trend()[0].upper()}{c.acc_trend()[1:]}, {loss} over {c.span()}, "
                              f"{why}: {label}.")


_Rule = Callable[[_Curve], Observation | None]
_RULES: tuple[_Rule, ...] = (_diverging, _unstable, _first, _risen, _noisy, _progress)


def observe_epoch(history: Sequence[EpochResult], chance: float = 0.0) -> Observation:
    """The one label and sentence for the latest epoch of ``history``, judged with the epochs before it.

    Args:
        history: the epochs so far, oldest first (at least one).
        chance: accuracy of guessing, 1 / classes; 0 when unknown (then no level is judged).
    """
    if not history:
        raise ValueError("history must hold at least one epoch, got none")
    if not 0 <= chance < 1:
        raise ValueError(f"chance must be between 0 and 1, got {chance}")
    curve = _Curve(history, chance)
    for rule in _RULES:
        found = rule(curve)
        if found is not None:
            return found
    raise AssertionError("_progress always gives an observation")


def observe(history: Sequence[EpochResult], chance: float = 0.0) -> str:
    """The sentence for the latest epoch: a drop-in for ``pipeline.training.loop.observe``."""
    return observe_epoch(history, chance).text


def observe_all(history: Sequence[EpochResult], chance: float = 0.0) -> list[Observation]:
    """One observation per epoch, each judged only on the epochs up to it (as they were seen live)."""
    return [observe_epoch(history[: m + 1], chance) for m in range(len(history))]


_ADVICE = {
    Label.FIRST: "One epoch is too few to see a trend; train for more.",
    Label.BARELY: "It has hardly learned anything: raise the learning rate or train longer.",
    Label.SLOWLY: "It is still improving, slowly: train for more epochs.",
    Label.LEARNING: "It was still improving at the end: more epochs would likely help.",
    Label.PLATEAU: "It has levelled off: more epochs will not help much.",
    Label.OVERFITTING: "Stop earlier (or add data): later epochs only fit the training set better.",
    Label.UNSTABLE: "Lower the learning rate and train again.",
    Label.DIVERGING: "Lower the learning rate and train again.",
    Label.NOISY: "It improves, but noisily: a lower learning rate or bigger batches would smooth it.",
}
SLOW_NEAR_GUESSING = "It is still improving, slowly, from near guessing: a higher learning rate would speed it up."


def verdict(history: Sequence[EpochResult], chance: float = 0.0) -> Observation:
    """The whole run in three sentences: where accuracy went, what the last epoch shows, what to try."""
    last = observe_epoch(history, chance)
    c = _Curve(history, chance)
    best = max(range(c.n), key=lambda m: (c.acc[m], -m))  # the earliest epoch with the best accuracy
    guess = f"; {c.guessing()}" if c.chance > 0 else ""
    if c.n == 1:
        summary = f"After 1 epoch validation accuracy is {_pct(c.acc[0])} %{guess.replace(';', ' —')}."
    else:
        summary = (f"Over {c.n} epochs validation accuracy went {_pct(c.acc[0])} → {_pct(c.acc[-1])} % (best "
                   f"{_pct(c.acc[best])} % after epoch {c.epochs[best]}{guess}).")
    advice = _ADVICE[Label(last.label)]
    if last.label == Label.SLOWLY and c.guess and c.val_loss[-1] > HIGH_LOSS * c.guess:
        advice = SLOW_NEAR_GUESSING
    return Observation(last.label, f"{summary} {last.text} {advice}")
