"""Benchmark the tracer, side by side in one run.

(a) 5 epochs of the lesson's training: the product's loop (``train.fit``) with the tracer attached
    vs the same loop written in plain PyTorch, same model, data and seed. Target ratio <= 1.05.
(b) Tracing one forward pass of the lesson model vs ``torchinfo.summary`` on the same model and input.

Variants run interleaved (A B C, A B C, ...) and each figure is a median, so machine noise hits all
variants alike. Run: ``.venv/bin/python bench/trace_overhead.py [--rounds 7]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
import torchinfo

from pipeline.data.sentiment import generate
from pipeline.lessons.sequence_classification import classification_step
from pipeline.models import ClassifierConfig, SequenceClassifier
from pipeline.text import TextPipeline, Vocabulary, tokenize
from pipeline.trace import trace
from pipeline.train import TrainConfig, fit

CFG = TrainConfig(epochs=5, seed=0)


def lesson_data():
    train, val = generate(1000, seed=0).split(0.2, seed=0)
    text = TextPipeline(Vocabulary.build(tokenize(t) for t in train.texts))
    return len(text.vocab), [(text(d.texts), torch.tensor(d.labels)) for d in (train, val)]


def new_model(vocab_size: int) -> SequenceClassifier:
    torch.manual_seed(CFG.seed)
    return SequenceClassifier(ClassifierConfig(vocab_size))


def plain_loop(model, train, val) -> None:
    """The same work as train.fit, written as a plain PyTorch loop: shuffled batches, Adam, a val pass."""
    optimizer = torch.optim.Adam(model.parameters(), lr=CFG.lr)
    generator = torch.Generator().manual_seed(CFG.seed)
    (x, y), (vx, vy) = train, val
    for _ in range(CFG.epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), CFG.batch_size):
            idx = order[start : start + CFG.batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for start in range(0, len(vx), CFG.batch_size):
                F.cross_entropy(model(vx[start : start + CFG.batch_size]), vy[start : start + CFG.batch_size])


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    vocab_size, (train, val) = lesson_data()

    def traced_fit():
        model = new_model(vocab_size)
        with trace(model):
            fit(model, classification_step, train, val, CFG)

    def traced_plain():
        model = new_model(vocab_size)
        with trace(model):
            plain_loop(model, train, val)

    variants = {"plain PyTorch loop": lambda: plain_loop(new_model(vocab_size), train, val),
                "plain loop + tracer": traced_plain, "train.fit + tracer": traced_fit}
    times = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, fn in variants.items():
            times[name].append(timed(fn))
    base = statistics.median(times["plain PyTorch loop"])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.rounds} rounds, medians")
    print("(a) 5 epochs of training, 1000 sentences")
    for name, ts in times.items():
        print(f"    {name:<22} {statistics.median(ts):7.3f} s   ratio {statistics.median(ts) / base:5.3f}")

    model = new_model(vocab_size).eval()
    x = train[0][:32]

    def ours():
        with torch.no_grad(), trace(model):
            model(x)

    def theirs():
        torchinfo.summary(model, input_data=x, verbose=0, mode="eval")

    reps = 50
    pair = {"pipeline.trace": [], "torchinfo.summary": []}
    for _ in range(args.rounds):
        pair["pipeline.trace"].append(timed(lambda: [ours() for _ in range(reps)]) / reps)
        pair["torchinfo.summary"].append(timed(lambda: [theirs() for _ in range(reps)]) / reps)
    ours_ms, theirs_ms = (statistics.median(v) * 1000 for v in pair.values())
    print("(b) one traced forward pass, batch of 32")
    print(f"    pipeline.trace        {ours_ms:7.3f} ms")
    print(f"    torchinfo.summary     {theirs_ms:7.3f} ms   trace / torchinfo = {ours_ms / theirs_ms:5.3f}")


if __name__ == "__main__":
    main()
