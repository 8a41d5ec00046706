"""Join attempts, rate-limited: guessing class codes is slow, a real class of 200 joins at full speed.

A class code is 6 characters of 31 (about 30 bits): tried at the 2,200 a second the service can answer,
a live code would be found in minutes. Each limit is a token bucket (``burst`` attempts at once, then one
more every ``every`` seconds):

- per device (a browser session): every join or rejoin attempt -- a learner joins once, twice after a typo;
- per address (the client's IP): failed attempts only (a wrong code, a wrong rejoin code), so that a class
  whose phones all share one school address is never slowed by its own joins;
- per class: every attempt into that class (a class of 200 joining within a minute passes), and failed
  rejoin codes against it.

Buckets live in the server process: two replicas give an attacker twice the tries, still far too few.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from pipeline.classroom.errors import ClassEnded, ClassExpired, TooManyAttempts, UnknownClass, UnknownLearner


@dataclass(frozen=True)
class Limit:
    """``burst`` attempts at once, then one more every ``every`` seconds."""

    burst: int
    every: float


DEVICE = Limit(burst=8, every=5.0)
ADDRESS_FAILURES = Limit(burst=30, every=3.0)
CLASS_ATTEMPTS = Limit(burst=300, every=0.05)
CLASS_FAILURES = Limit(burst=20, every=3.0)
T = TypeVar("T")
FORGET_AFTER = 900.0  # seconds: a bucket full again and idle this long is dropped
NO_SUCH_CLASS = "no class is open with code {code}: check the code with your teacher"


class JoinThrottle:
    """The buckets of one server process (see the module docstring). ``clock`` is for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # (kind, who) -> (tokens, when)
        self._lock = threading.Lock()

    def attempt(self, device: str, address: str, code: str, rejoin: bool = False) -> None:
        """Count a join (or ``rejoin``) attempt into class ``code``; raises :class:`TooManyAttempts`, counting
        nothing, when over a limit. Wrong rejoin codes against a class hold back rejoins only, never joins."""
        limits = [(("device", device), DEVICE), (("address-failures", address), ADDRESS_FAILURES),
                  (("class", code), CLASS_ATTEMPTS)]
        if rejoin:
            limits.append((("class-failures", code), CLASS_FAILURES))
        with self._lock:
            self._check(limits, take=[("device", device), ("class", code)])

    def join(self, device: str, address: str, code: str, call: Callable[[], T], rejoin: bool = False) -> T:
        """``call()`` -- a ``join_class`` or ``rejoin_class`` of class ``code`` -- within the limits.

        A code that names no open class (unknown, expired or ended) raises :class:`UnknownClass` with one
        message whatever the reason, so an attempt tells nothing about which codes exist; it and a wrong
        rejoin code count as failures."""
        self.attempt(device, address, code, rejoin=rejoin)
        try:
            return call()
        except (UnknownClass, ClassExpired, ClassEnded):
            self.failed(address, code)
            raise UnknownClass(NO_SUCH_CLASS.format(code=code)) from None
        except UnknownLearner:
            self.failed(address, code)
            raise

    def failed(self, address: str, code: str) -> None:
        """Count a failed attempt (a wrong code or rejoin code) against the address and the class."""
        with self._lock:
            now = self.clock()
            self._take(("address-failures", address), ADDRESS_FAILURES, now)
            self._take(("class-failures", code), CLASS_FAILURES, now)
            self._forget(now)

    def _check(self, limits: list[tuple[tuple[str, str], Limit]], take: list[tuple[str, str]]) -> None:
        now = self.clock()
        waits = {key: self._wait(key, limit, now) for key, limit in limits}
        kind, wait = max(((key[0], w) for key, w in waits.items()), key=lambda x: x[1])
        if wait > 0:
            raise TooManyAttempts(f"too many join attempts {_WHO[kind]}: try again in {math.ceil(wait)} s", wait)
        for key, limit in limits:
            if key in take:
                self._take(key, limit, now)

    def _tokens(self, key: tuple[str, str], limit: Limit, now: float) -> float:
        tokens, when = self._buckets.get(key, (float(limit.burst), now))
        return min(float(limit.burst), tokens + (now - when) / limit.every)

    def _wait(self, key: tuple[str, str], limit: Limit, now: float) -> float:
        tokens = self._tokens(key, limit, now)
        return 0.0 if tokens >= 1 else (1 - tokens) * limit.every

    def _take(self, key: tuple[str, str], limit: Limit, now: float) -> None:
        self._buckets[key] = (self._tokens(key, limit, now) - 1, now)

    def _forget(self, now: float) -> None:
        if len(self._buckets) < 10_000:
            return
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < FORGET_AFTER}


_WHO = {"device": "from this device", "address-failures": "with a wrong code from this network address",
        "class": "into this class", "class-failures": "with a wrong rejoin code into this class"}
