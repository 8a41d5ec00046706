"""Example trace files that ship with the package, so the "Open a trace" page has something to open.

Each was made by ``pipeline-trace trace`` from a small model in ``pipeline/examples/models.py``;
``python -m pipeline.examples`` makes them again (the README gives the commands).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Example:
    """One shipped trace file: its title, the factory and input it was made from, and its path."""

    title: str
    factory: str  # "function" in pipeline/examples/models.py
    input_shape: str
    dtype: str = "float"
    ops: bool = False

    @property
    def path(self) -> Path:
        return HERE / f"{self.factory}.trace.zip"

    def command(self) -> list[str]:
        """The ``pipeline-trace trace`` arguments that make this file."""
        here = Path(os.path.relpath(HERE))  # relative: the file records the command, not this machine's folders
        args = ["trace", f"{(here / 'models.py').as_posix()}:{self.factory}", "--input-shape", self.input_shape,
                "--dtype", self.dtype, "--save", (here / self.path.name).as_posix()]
        return args + (["--ops"] if self.ops else [])


EXAMPLES = {
    "digits-cnn": Example("A small CNN reading 8×8 digit images", "digits_cnn", "4,1,8,8", ops=True),
    "tiny-transformer": Example("A one-block Transformer reading 10 tokens", "tiny_transformer", "2,10", "long",
                                ops=True),
}


def example_files() -> dict[str, Example]:
    """The examples whose files are present."""
    return {key: ex for key, ex in EXAMPLES.items() if ex.path.is_file()}
