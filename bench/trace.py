"""The tracer against torchinfo and TorchLens: a traced forward's time over a plain forward's, per model.

    .venv/bin/python bench/trace.py [--pairs 15] [--device cpu|cuda] [--json out.json]

For each model, the variants run back to back in rotating order, ``--pairs`` times; each round gives
paired ratios to the plain forward run in the same round (and ours to torchinfo's), and the table
reports their median with the quartiles. Everything is timed as the product runs it: an eval-mode
forward under ``torch.no_grad()``, traced with ``with trace(model) as t: model(x)`` (the code path of
``traced_forward``, which every lesson uses). torchinfo: ``summary(model, input_data=x, verbose=0)``.
With ``ops=True`` we also record the functional ops, as TorchLens does: ``torchlens.trace(model, x)``.

CPU timings are this thread's CPU time with torch on one thread (noise from other processes on a
shared machine does not count); CUDA timings are wall time with the device synchronised.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torchinfo
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.examples.models import DigitsCNN
from pipeline.nn.models import ClassifierConfig, Seq2Seq, Seq2SeqConfig, SequenceClassifier
from pipeline.trace import trace


def models(device: str) -> dict[str, tuple[nn.Module, torch.Tensor]]:
    """The models compared: the two lesson models, a deep MLP, a Transformer encoder and a conv net."""
    torch.manual_seed(0)
    ids = torch.randint(2, 120, (32, 10))
    made = {
        "lesson classifier (Embedding-LSTM-Linear)": (SequenceClassifier(ClassifierConfig(120, 3, 50, 64)), ids),
        "lesson seq2seq (attention, 10 decoder steps)": (
            Seq2Seq(Seq2SeqConfig(40, 14, sos_id=2, eos_id=3, embed_dim=64, hidden_dim=128, attention=True)),
            torch.randint(2, 40, (32, 10))),
        "deep MLP (50 x Linear+ReLU)": (
            nn.Sequential(*[m for _ in range(50) for m in (nn.Linear(64, 64), nn.ReLU())]), torch.randn(32, 64)),
        "Transformer encoder (12 layers)": (
            nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4, 128, batch_first=True, dropout=0.0), 12,
                                  enable_nested_tensor=False), torch.randn(32, 10, 64)),
        "conv net (2 conv blocks, 8x8 images)": (DigitsCNN(), torch.randn(32, 1, 8, 8)),
    }
    return {name: (model.to(device).eval(), x.to(device)) for name, (model, x) in made.items()}


def clock(device: str) -> Callable[[], float]:
    if device == "cuda":
        def wall() -> float:
            torch.cuda.synchronize()
            return time.perf_counter()
        return wall
    return time.thread_time


def runner(kind: str, model: nn.Module, x: torch.Tensor) -> Callable[[], object]:
    if kind == "plain":
        def run():
            with torch.no_grad():
                return model(x)
    elif kind in ("ours", "ours, ops=True"):
        ops = kind != "ours"

        def run():
            with torch.no_grad(), trace(model, ops=ops) as t:
                model(x)
            return t
    elif kind == "torchinfo":
        def run():
            return torchinfo.summary(model, input_data=x, verbose=0)
    elif kind == "TorchLens":
        import torchlens

        def run():
            return torchlens.trace(model, x)
    else:
        raise ValueError(kind)
    return run


def timed(run: Callable[[], object], tick: Callable[[], float], repeat: int) -> float:
    start = tick()
    for _ in range(repeat):
        run()
    return (tick() - start) / repeat


def compare(model: nn.Module, x: torch.Tensor, kinds: list[str], pairs: int, tick, budget: float) -> dict[str, list]:
    """Per round, every variant once (rotating order); each variant repeated to fill ~``budget`` seconds."""
    runs = {k: runner(k, model, x) for k in kinds}
    for run in runs.values():  # warm up (and import TorchLens's lazy parts)
        run()
        run()
    repeat = {k: max(1, round(budget / max(timed(run, tick, 1), 1e-6))) for k, run in runs.items()}
    times = {k: [] for k in kinds}
    for i in range(pairs):
        order = kinds[i % len(kinds):] + kinds[: i % len(kinds)]
        for k in order:
            times[k].append(timed(runs[k], tick, repeat[k]))
    return times


def summary(values: list[float]) -> dict[str, float]:
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"median": median, "q1": q1, "q3": q3}


def ratios(a: list[float], b: list[float]) -> dict[str, float]:
    return summary([x / y for x, y in zip(a, b, strict=True)])


def fmt(r: dict[str, float]) -> str:
    return f"{r['median']:6.2f}x ({r['q1']:.2f}-{r['q3']:.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=15, help="alternated rounds per model (default 15)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--no-torchlens", action="store_true", help="skip the ops=True comparison with TorchLens")
    parser.add_argument("--budget", type=float, default=0.05, help="seconds per timed measurement (default 0.05)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    if args.pairs < 5:
        parser.error("--pairs must be at least 5: a median of fewer paired ratios says little on a noisy machine")
    if args.device == "cpu":
        torch.set_num_threads(1)
    tick = clock(args.device)
    machine = (torch.cuda.get_device_name() if args.device == "cuda" else platform.processor() or platform.machine())
    print(f"torch {torch.__version__}, {args.device} ({machine}), {torch.get_num_threads()} CPU thread(s), "
          f"{args.pairs} alternated rounds per model; ratio = median (q1-q3) of paired per-round ratios")
    header = f"{'model':46} {'plain':>9} {'ours/plain':>19} {'torchinfo/plain':>19} {'ours/torchinfo':>19}"
    results = {"device": args.device, "machine": machine, "torch": torch.__version__, "pairs": args.pairs, "models": {}}
    print(header)
    for name, (model, x) in models(args.device).items():
        t = compare(model, x, ["plain", "ours", "torchinfo"], args.pairs, tick, args.budget)
        row = {"plain_ms": statistics.median(t["plain"]) * 1e3, "ours/plain": ratios(t["ours"], t["plain"]),
               "torchinfo/plain": ratios(t["torchinfo"], t["plain"]),
               "ours/torchinfo": ratios(t["ours"], t["torchinfo"])}
        print(f"{name:46} {row['plain_ms']:7.2f}ms {fmt(row['ours/plain']):>19} {fmt(row['torchinfo/plain']):>19} "
              f"{fmt(row['ours/torchinfo']):>19}", flush=True)
        results["models"][name] = row
    if not args.no_torchlens:
        print(f"\nFunctional ops recorded too (ops=True) vs TorchLens\n{'model':46} {'ours ops/plain':>19} "
              f"{'TorchLens/plain':>19} {'ours ops/TorchLens':>19}")
        for name, (model, x) in models(args.device).items():
            t = compare(model, x, ["plain", "ours, ops=True", "TorchLens"], args.pairs, tick, args.budget)
            row = {"ours_ops/plain": ratios(t["ours, ops=True"], t["plain"]),
                   "torchlens/plain": ratios(t["TorchLens"], t["plain"]),
                   "ours_ops/torchlens": ratios(t["ours, ops=True"], t["TorchLens"])}
            print(f"{name:46} {fmt(row['ours_ops/plain']):>19} {fmt(row['torchlens/plain']):>19} "
                  f"{fmt(row['ours_ops/torchlens']):>19}", flush=True)
            results["models"][name].update(row)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
