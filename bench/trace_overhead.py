"""Benchmark the tracer, side by side in one run.

(a) 5 epochs of the lesson's training: the product's loop (``train.fit``) with the tracer attached
    vs the same loop written in plain PyTorch, same model, data and seed. Target ratio <= 1.05.
(b) Tracing one forward pass of the lesson model vs ``torchinfo.summary`` on the same model and input.

Variants run interleaved, in rotating order (A B C, B C A, ...), timed in CPU time of this thread
with torch on one thread (as in the app). Each round gives a ratio to the plain loop run beside it;
the figure is the median of those paired ratios, which cancels this shared machine's slow drifts.
Run: ``.venv/bin/python bench/trace_overhead.py [--rounds 30]``
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


def plain_loop(model, train, val) -> list[tuple[float, float, float, float]]:
    """train.fit's work as a plain PyTorch loop: shuffled batches, Adam, loss and accuracy per epoch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=CFG.lr)
    generator = torch.Generator().manual_seed(CFG.seed)
    (x, y), (vx, vy) = train, val
    history = []
    for _ in range(CFG.epochs):
        model.train()
        loss_sum = correct = 0.0
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), CFG.batch_size):
            idx = order[start : start + CFG.batch_size]
            logits = model(x[idx])
            loss = F.cross_entropy(logits, y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(idx)
            correct += int((logits.argmax(dim=1) == y[idx]).sum())
        model.eval()
        val_loss = val_correct = 0.0
        with torch.no_grad():
            for start in range(0, len(vx), CFG.batch_size):
                logits, target = model(vx[start : start + CFG.batch_size]), vy[start : start + CFG.batch_size]
                val_loss += F.cross_entropy(logits, target).item() * len(target)
                val_correct += int((logits.argmax(dim=1) == target).sum())
        history.append((loss_sum / len(x), correct / len(x), val_loss / len(vx), val_correct / len(vx)))
    return history


def timed(fn) -> float:
    """CPU seconds of this thread for one call of ``fn`` (time the VM spends elsewhere does not count)."""
    started = time.thread_time()
    fn()
    return time.thread_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1, as in the app: all work is then on this thread's CPU clock)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    vocab_size, (train, val) = lesson_data()

    def traced_fit():
        model = new_model(vocab_size)
        with trace(model):
            fit(model, classification_step, train, val, CFG)

    def traced_plain():
        model = new_model(vocab_size)
        with trace(model):
            plain_loop(model, train, val)

    plain = plain_loop(new_model(vocab_size), train, val)
    product = [(e.loss, e.accuracy, e.val_loss, e.val_accuracy)
               for e in fit(new_model(vocab_size), classification_step, train, val, CFG)]
    assert plain == product, "the plain loop must do exactly train.fit's work"

    variants = {"plain PyTorch loop": lambda: plain_loop(new_model(vocab_size), train, val),
                "plain loop + tracer": traced_plain, "train.fit + tracer": traced_fit}
    times = {name: [] for name in variants}
    names = list(variants)
    for r in range(args.rounds):
        for name in names[r % 3 :] + names[: r % 3]:  # rotate the order so no variant always runs first
            times[name].append(timed(variants[name]))
    # Each round's variants run back to back, so a round's ratio (variant / plain loop) cancels the
    # slow drifts of this shared machine; the median of those paired ratios is the figure, with the
    # middle half of rounds beside it. Times are CPU time of this thread (torch on one thread).
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {args.rounds} interleaved rounds")
    print("(a) 5 epochs of training, 1000 sentences (both loops give identical losses and accuracies)")
    print(f"    {'':<22} {'CPU time':>9}   {'ratio to plain loop (median of rounds, middle half)':<50}")
    plain = times["plain PyTorch loop"]
    for name, ts in times.items():
        ratios = [t / p for t, p in zip(ts, plain, strict=True)]
        q1, median, q3 = statistics.quantiles(ratios, n=4)
        print(f"    {name:<22} {statistics.median(ts):8.3f}s   {median:5.3f}  ({q1:.3f} to {q3:.3f})")

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
    print(f"(b) one traced forward pass, batch of 32 (CPU time, median of {args.rounds} rounds of {reps})")
    print(f"    pipeline.trace        {ours_ms:7.3f} ms")
    print(f"    torchinfo.summary     {theirs_ms:7.3f} ms   trace / torchinfo = {ours_ms / theirs_ms:5.3f}")


if __name__ == "__main__":
    main()
