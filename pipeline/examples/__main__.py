"""Make the shipped example trace files again: ``python -m pipeline.examples``."""

import sys

from pipeline.cli.main import main
from pipeline.examples import EXAMPLES

for example in EXAMPLES.values():
    status = main(example.command())
    if status:
        sys.exit(status)
