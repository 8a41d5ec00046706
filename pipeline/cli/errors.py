"""The command line's name and its errors: a problem with what the user asked for is one line on stderr, exit code 2,
with control characters from the user's input made visible."""

from __future__ import annotations

from pipeline.safeio import visible

PROG = "pipeline-trace"


def say(message: str) -> str:
    """One line for stderr: control characters from the user's input made visible, never sent raw."""
    return visible(message, 1000) + "\n"


class UsageError(Exception):
    """A problem with what the user asked for: one line, exit code 2."""
