"""Prev / Next / Play over the screens of a prediction: the position, and the timing of Play."""

from __future__ import annotations

from dataclasses import dataclass

PLAY_SECONDS = 1.5  # default time per screen while playing
PLAY_SPEEDS = {"slow": 3.0, "normal": 1.5, "fast": 0.75}  # seconds per screen, by name


@dataclass
class Stepper:
    """Prev / Next / Play position over ``count`` screens; ``tick`` advances while playing."""

    count: int
    index: int = 0
    playing: bool = False
    last_move: float = 0.0

    def next(self) -> None:
        self.index = min(self.index + 1, self.count - 1)

    def prev(self) -> None:
        self.index = max(self.index - 1, 0)

    def first(self) -> None:
        self.index = 0

    def last(self) -> None:
        self.index = self.count - 1

    def go(self, index: int) -> None:
        """Jump to ``index``, kept within the screens."""
        self.index = min(max(index, 0), self.count - 1)

    def play(self, now: float) -> None:
        """Start playing; from the start again if at the end."""
        if self.index >= self.count - 1:
            self.index = 0
        self.playing, self.last_move = True, now

    def pause(self) -> None:
        self.playing = False

    def toggle(self, now: float) -> None:
        """Play if paused, pause if playing."""
        if self.playing:
            self.pause()
        else:
            self.play(now)

    def tick(self, now: float, seconds: float = PLAY_SECONDS) -> bool:
        """Advance one screen if playing and ``seconds`` have passed; stop at the end. True if it moved."""
        if not self.playing or now - self.last_move < seconds * 0.9:  # timers fire a little early
            return False
        self.next()
        self.last_move = now
        self.playing = self.index < self.count - 1
        return True
