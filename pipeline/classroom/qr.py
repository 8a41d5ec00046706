"""A QR code of the join link, as SVG for projecting in class."""

from __future__ import annotations

import segno

from pipeline.classroom.errors import InvalidValue

MAX_URL = 2_000


def qr_svg(url: str, *, scale: int = 8) -> str:
    """An inline ``<svg>`` QR code (error correction M, quiet zone kept) that opens ``url``."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > MAX_URL:
        raise InvalidValue(f"join link must be an http(s) URL of at most {MAX_URL} characters, got {url!r:.80}")
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= 40:
        raise InvalidValue(f"scale must be an integer from 1 to 40, got {scale!r}")
    return segno.make(url, error="m", boost_error=False).svg_inline(scale=scale, dark="#000", light="#fff")
