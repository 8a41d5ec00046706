"""Small grey images as the digits lessons read them: 8 x 8 pixels of ink from 0 (none) to 16 (full), written as a
64-character code, and any picture (a drawing, a learner's PNG) turned into one the way the training images were made.

scikit-learn's ``load_digits`` images come from 32 x 32 black-and-white bitmaps of handwritten digits, scaled so the
digit fills the height of the box, then cut into 8 x 8 blocks of 4 x 4 pixels: each pixel of the small image counts
the inked pixels of its block (0 to 16). :func:`to_grid` does the same to a drawing, so a learner's digit reaches the
model looking like the ones it trained on: cropped to its ink, scaled to fill the height (the width in proportion, at
most the whole box), strokes thickened to the training images' weight, centred by its mass, counted per block.

The code (``"00c8..."``, one character per pixel, row by row, ``0``-``9`` then ``a``-``g`` for 10-16) is how an image
travels where the other lessons' inputs are text: a link, a held-out example, a trace file, the run cache.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.errors import InputError

SIDE = 8  # the model's image is SIDE x SIDE pixels
BLOCK = 4  # each of its pixels counts the ink of a BLOCK x BLOCK block of the BOX x BOX bitmap
BOX = SIDE * BLOCK
INK = BLOCK * BLOCK  # the most ink a pixel holds: 16
DIGITS = "0123456789abcdefg"  # a pixel's ink 0..16 as one character
CODE_LENGTH = SIDE * SIDE
# The training bitmaps' strokes are thick: about 30 % of the 32 x 32 box is inked (load_digits: 310 of 1,024 pixels
# on average), strokes some 4 pixels wide. A thinner drawn stroke is widened until it is about as thick.
STROKE_PX = 3.0
MAX_THICKEN = 4  # widening steps at most, one pixel each side per step
SHRUNK_INK = 0.25  # the share of a shrunk pixel's area that must be inked for it to be


def encode(grid: Sequence[Sequence[int]]) -> str:
    """An 8 x 8 grid of ink (0..16) as its 64-character code."""
    flat = [int(v) for row in grid for v in row]
    if len(flat) != CODE_LENGTH or any(not 0 <= v <= INK for v in flat):
        raise ValueError(f"an image is {SIDE} x {SIDE} pixels of 0 to {INK}, got {len(flat)} values")
    return "".join(DIGITS[v] for v in flat)


def decode(code: str) -> list[list[int]]:
    """A 64-character code back to its 8 x 8 grid of ink (0..16); InputError when it is not a code."""
    check_code(code)
    values = [DIGITS.index(ch) for ch in code.lower()]
    return [values[r * SIDE:(r + 1) * SIDE] for r in range(SIDE)]


def check_code(code: object) -> str:
    """Return ``code`` if it is an image's code with some ink in it, else raise InputError saying why."""
    if not isinstance(code, str):
        raise InputError(f"Expected an image, got {type(code).__name__}.")
    if len(code) != CODE_LENGTH or any(ch not in DIGITS for ch in code.lower()):
        shown = code[:20] + ("…" if len(code) > 20 else "")
        raise InputError(f"An image is {CODE_LENGTH} characters, one per pixel (0-9, then a-g for 10-16); got "
                         f"{len(code):,} characters ({shown!r}). Draw a digit or pick a held-out one instead.")
    if not code.strip("0"):
        raise InputError("The image is blank: there is no ink to read. Draw a digit first.")
    return code


def ink_of(gray: np.ndarray) -> np.ndarray:
    """A grey picture (any range, 2-D) as ink from 0 to 1: dark strokes on a light ground, or light strokes on a dark
    one -- whichever the border says is the ground (a drawing's edges are its background)."""
    if gray.ndim != 2 or min(gray.shape) < 1:
        raise InputError(f"expected a grey picture of 2 dimensions, got shape {tuple(gray.shape)}")
    g = gray.astype(np.float64)
    lo, hi = float(g.min()), float(g.max())
    if hi - lo < 1e-9:
        raise InputError("The picture is one flat colour: there is no digit in it.")
    g = (g - lo) / (hi - lo)
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    return 1.0 - g if float(np.median(border)) > 0.5 else g


def to_grid(ink: np.ndarray) -> list[list[int]]:
    """Ink (0..1, 2-D, any size) -> the 8 x 8 grid of 0..16 the model reads, made as the training images were.

    Raises:
        InputError: when there is no ink (a blank drawing).
    """
    bitmap = ink >= 0.5
    rows, cols = np.flatnonzero(bitmap.any(axis=1)), np.flatnonzero(bitmap.any(axis=0))
    if not len(rows):
        raise InputError("The picture is blank: there is no ink in it to read.")
    glyph = bitmap[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    box = _thicken(_fit(glyph))
    return _blocks(_centre(box))


def _fit(glyph: np.ndarray) -> np.ndarray:
    """The glyph scaled to fill the box's height (its width in proportion, at most the box's width).

    Enlarged, each pixel is the nearest one of the glyph; shrunk, a pixel is inked when a quarter of the area it
    covers is, so a stroke thinner than the step survives (it is thickened to the training weight afterwards)."""
    h, w = glyph.shape
    scale = min(BOX / h, BOX / w)
    out_h, out_w = max(1, min(BOX, round(h * scale))), max(1, min(BOX, round(w * scale)))
    if scale >= 1:
        ys = np.minimum(((np.arange(out_h) + 0.5) * h / out_h).astype(int), h - 1)
        xs = np.minimum(((np.arange(out_w) + 0.5) * w / out_w).astype(int), w - 1)
        return glyph[np.ix_(ys, xs)]
    y_edges = np.linspace(0, h, out_h + 1).astype(int)[:-1]
    x_edges = np.linspace(0, w, out_w + 1).astype(int)[:-1]
    ink = np.add.reduceat(np.add.reduceat(glyph.astype(np.float64), y_edges, axis=0), x_edges, axis=1)
    area = np.outer(np.diff(np.append(y_edges, h)), np.diff(np.append(x_edges, w)))
    return ink / area >= SHRUNK_INK


def stroke_width(bitmap: np.ndarray) -> float:
    """How thick the strokes are, in pixels: the mean length of the ink's runs across the rows or down the columns,
    whichever is shorter (a horizontal bar's runs along its rows are long, down its columns as thick as it is)."""
    def mean_run(lines: np.ndarray) -> float:
        edges = np.diff(np.pad(lines.astype(np.int8), ((0, 0), (1, 1))), axis=1)
        starts = int((edges == 1).sum())
        return float(lines.sum()) / starts if starts else 0.0

    return min(mean_run(bitmap), mean_run(bitmap.T))


def _thicken(glyph: np.ndarray) -> np.ndarray:
    """Widen thin strokes, one pixel each side per step, until they are about as thick as the training images'."""
    padded = np.pad(glyph, ((0, 0), (MAX_THICKEN, MAX_THICKEN)))
    for _ in range(MAX_THICKEN):
        if stroke_width(padded) >= STROKE_PX:
            break
        grown = padded.copy()
        grown[:, 1:] |= padded[:, :-1]
        grown[:, :-1] |= padded[:, 1:]
        grown[1:, :] |= padded[:-1, :]
        grown[:-1, :] |= padded[1:, :]
        padded = grown
    cols = np.flatnonzero(padded.any(axis=0))
    return padded[:, cols[0]:cols[-1] + 1][:, :BOX]


def _centre(glyph: np.ndarray) -> np.ndarray:
    """The glyph placed in the BOX x BOX bitmap with its centre of mass at the centre, as far as the box allows."""
    h, w = glyph.shape
    ys, xs = np.nonzero(glyph)
    cy, cx = ys.mean(), xs.mean()
    top = int(np.clip(round((BOX - 1) / 2 - cy), 0, BOX - h))
    left = int(np.clip(round((BOX - 1) / 2 - cx), 0, BOX - w))
    out = np.zeros((BOX, BOX), dtype=bool)
    out[top:top + h, left:left + w] = glyph
    return out


def _blocks(bitmap: np.ndarray) -> list[list[int]]:
    """Each BLOCK x BLOCK block's inked pixels: the 8 x 8 grid of 0..16."""
    counts = bitmap.reshape(SIDE, BLOCK, SIDE, BLOCK).sum(axis=(1, 3))
    return counts.astype(int).tolist()
