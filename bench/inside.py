"""What a run keeps of the model's insides, measured: per lesson and per epoch, the numbers the time-lapse keeps, the
memory they take in the process and the bytes they add to the trace file.

    .venv/bin/python bench/inside.py                 # each lesson's default run
    .venv/bin/python bench/inside.py --wide          # and a wide, long LSTM run: the bound keeps fewer units

Memory is measured with ``tracemalloc`` while a fresh copy of the epoch's kept views and points is built (pickled,
then unpickled: every float, tuple and view made anew, as the run holds them); the file's bytes are the epoch's
``inside`` and ``space`` written as the trace file writes them (pydantic JSON).
"""

from __future__ import annotations

import argparse
import pickle
import time
import tracemalloc

import torch

from pipeline.document.fileformat import EpochModel
from pipeline.lessons import get_lesson
from pipeline.lessons.probes import FRAME_VALUES, WORDS_KEPT
from pipeline.training.results import EpochResult


def values(result: EpochResult) -> int:
    """The numbers an epoch kept: every kept view's matrices, and two per word in space."""
    count = 0
    for views in result.inside.values():
        for view in views.values():
            for name in ("i", "f", "g", "o", "c", "h", "weights"):
                grid = getattr(view, name, None)
                if grid:
                    count += sum(len(row) for rows in (grid if name == "weights" else [grid]) for row in rows)
    return count + 2 * len(result.space)


def measured(result: EpochResult) -> int:
    """Bytes a fresh copy of what the epoch kept (its views and its points) takes, as tracemalloc counts them."""
    raw = pickle.dumps((result.inside, result.space))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = pickle.loads(raw)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return after - before


def file_bytes(result: EpochResult) -> int:
    """Bytes the epoch's kept views and points add to trace.json."""
    full = EpochModel(**result.to_dict()).model_dump_json()
    bare = EpochModel(**{**result.to_dict(), "inside": {}, "space": []}).model_dump_json()
    return len(full) - len(bare)


def span(values: list[int], unit: float, form: str) -> str:
    """``12`` or ``11-13``: the least and the most of ``values`` in ``unit``s."""
    low, high = (form.format(v / unit) for v in (min(values), max(values)))
    return low if low == high else f"{low}-{high}"


def report(slug: str, **settings) -> None:
    lesson = get_lesson(slug)
    started = time.perf_counter()
    run = lesson.run(lesson.settings_type(**settings))
    seconds = time.perf_counter() - started
    per = [(values(e), measured(e), file_bytes(e)) for e in run.epochs]
    n = len(per)
    print(f"{slug} {settings or 'defaults'}: {n} epochs, trained in {seconds:.1f} s")
    kept, memory, written = ([x[k] for x in per] for k in range(3))
    print(f"  each epoch: {span(kept, 1, '{:,.0f}')} numbers kept, {span(memory, 1e3, '{:,.0f}')} kB in memory, "
          f"{span(written, 1e3, '{:,.0f}')} kB in the file")
    total = [sum(x[k] for x in per) for k in range(3)]
    print(f"  the run: {total[0]:,} numbers, {total[1] / 1e6:.2f} MB in memory, {total[2] / 1e6:.2f} MB in the file"
          f" ({total[1] / max(total[0], 1):.0f} bytes a number in memory)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wide", action="store_true", help="also a wide, long LSTM run (hidden 256, 20 epochs)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"bounds: {FRAME_VALUES:,} numbers of views per run, {WORDS_KEPT} words x 2 per epoch")
    for slug in ("sequence-classification", "transformer-classification", "seq2seq"):
        report(slug)
    if args.wide:
        report("sequence-classification", hidden_dim=256, epochs=20, samples=400)


if __name__ == "__main__":
    main()
