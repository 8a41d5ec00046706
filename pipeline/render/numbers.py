"""One way to write a number for a learner, shared by verdicts, tables, chart labels and hover texts.

The sentence under a chart and the chart itself must never disagree ("neutral 10%" beside a bar labelled
"9.5%"), so every surface formats a probability, a weight or a signed value with these functions -- a
chart's labels and hover texts are formatted here too (as text), never by Plotly's own number format.
"""

from __future__ import annotations

import math

PERCENT_DIGITS = 1  # 90.5%, 9.5%, 0.3%: one decimal, so two classes that differ are never both "10%"


def percent(p: float, digits: int = PERCENT_DIGITS) -> str:
    """A probability or a share: ``90.5%``; ``<0.1%`` rather than a misleading ``0.0%``; ``n/a`` if not finite."""
    if not math.isfinite(p):
        return "n/a"
    smallest = 0.5 * 10 ** -(digits + 2)  # below this it would print as zero
    if 0 < p < smallest:
        return f"<{10 ** -digits:g}%"
    return f"{p:.{digits}%}"


def signed(x: float, digits: int = 2) -> str:
    """A value whose sign matters: ``+3.12``, ``-0.40``; ``n/a`` if not finite."""
    return f"{x:+.{digits}f}" if math.isfinite(x) else "n/a"


def plain(x: float, digits: int = 2) -> str:
    """A value whose sign is not the point (a length, a mean gate): ``0.83``; ``n/a`` if not finite."""
    return f"{x:.{digits}f}" if math.isfinite(x) else "n/a"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 word``, ``4 words``, ``3 classes``, ``1,000 sentences`` (``plural`` when it is not regular)."""
    if n == 1:
        return f"1 {noun}"
    return f"{n:,} {plural or noun + ('es' if noun.endswith(('s', 'x', 'ch', 'sh')) else 's')}"
