"""Join attempts are rate-limited: guessing codes is held back while a real class of 200 joins at full speed."""

from __future__ import annotations

import pytest

from pipeline.classroom import TooManyAttempts, UnknownClass, UnknownLearner, join_class, rejoin_class, start_class
from pipeline.classroom.credentials import new_code
from pipeline.classroom.throttle import JoinThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_guessing_codes_is_throttled_while_200_joins_of_a_real_class_pass(engine):
    clock = Clock()
    throttle = JoinThrottle(clock)
    info, _ = start_class(engine, "sequence-classification", cap=200)
    refused, wrong = 0, 0
    for i in range(200):  # a class of 200 phones joins within ten seconds, all behind the school's one address...
        clock.now += 0.05
        throttle.join(f"phone-{i}", "10.0.0.1", info.code, lambda i=i: join_class(engine, info.code, f"L{i}"))
        for _ in range(2):  # ...while someone guesses codes from another address, opening a new tab each time
            guess = new_code()
            try:
                throttle.join(f"guesser-{i}-{_}", "10.6.6.6", guess, lambda g=guess: join_class(engine, g, "x"))
            except TooManyAttempts:
                refused += 1
            except UnknownClass as e:
                assert str(e) == f"no class is open with code {guess}: check the code with your teacher"
                wrong += 1
    assert wrong <= 30 + 10 / 3 + 1 and refused == 400 - wrong  # the address's 30, then one every 3 s


def test_one_page_gets_eight_tries_then_waits(engine):
    clock = Clock()
    throttle = JoinThrottle(clock)
    for _ in range(8):
        with pytest.raises(UnknownClass):
            throttle.join("tab", "10.0.0.2", "ZZZZZZ", lambda: join_class(engine, "ZZZZZZ", "x"))
    with pytest.raises(TooManyAttempts, match=r"^too many join attempts from this device: try again in 5 s$"):
        throttle.join("tab", "10.0.0.2", "ZZZZZZ", lambda: join_class(engine, "ZZZZZZ", "x"))
    clock.now += 5
    with pytest.raises(UnknownClass):
        throttle.join("tab", "10.0.0.2", "ZZZZZZ", lambda: join_class(engine, "ZZZZZZ", "x"))


def test_wrong_rejoin_codes_hold_back_rejoins_into_that_class_but_never_joins(engine):
    clock = Clock()
    throttle = JoinThrottle(clock)
    info, _ = start_class(engine, "sequence-classification")
    for i in range(20):
        with pytest.raises(UnknownLearner):
            throttle.join(f"tab-{i}", f"10.1.0.{i}", info.code, lambda: rejoin_class(engine, info.code, "AAAA-AAAA"),
                          rejoin=True)
    with pytest.raises(TooManyAttempts, match="wrong rejoin code into this class"):
        throttle.join("tab-x", "10.1.1.1", info.code, lambda: rejoin_class(engine, info.code, "AAAA-AAAA"),
                      rejoin=True)
    member = throttle.join("tab-y", "10.1.1.2", info.code, lambda: join_class(engine, info.code, "Ana"))
    assert member.display_name == "Ana"


def test_a_refused_attempt_counts_nothing_and_calls_nothing():
    clock = Clock()
    throttle = JoinThrottle(clock)
    calls = []
    for _ in range(8):
        throttle.join("tab", "a", "K7QX2M", lambda: calls.append(1))
    with pytest.raises(TooManyAttempts):
        throttle.join("tab", "a", "K7QX2M", lambda: calls.append(1))
    assert len(calls) == 8
    clock.now += 5
    throttle.join("tab", "a", "K7QX2M", lambda: calls.append(1))
    assert len(calls) == 9
