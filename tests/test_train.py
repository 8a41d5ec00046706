"""The training loop: callbacks, determinism, bounded settings, observations from the numbers."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from pipeline.training.loop import Callback, StepOutput, TrainConfig, batches, fit, seeded
from pipeline.training.results import EpochResult


def step(model, batch):
    x, y = batch
    logits = model(x)
    return StepOutput(F.cross_entropy(logits, y), len(y), {"accuracy": (int((logits.argmax(1) == y).sum()), len(y))})


def data(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    return [x, (x[:, 0] > 0).long()]


class Recorder(Callback):
    def __init__(self):
        self.events = []

    def on_train_start(self, total_batches):
        self.events.append(("start", total_batches))

    def on_batch_end(self, result):
        self.events.append(("batch", result.epoch, result.batch))

    def on_epoch_end(self, result):
        self.events.append(("epoch", result.epoch))

    def on_train_end(self, history):
        self.events.append(("end", len(history)))


def train_once(seed=0, epochs=3, callbacks=()):
    torch.manual_seed(seed)
    model = nn.Linear(4, 2)
    return fit(model, step, data(50, 1), data(20, 2), TrainConfig(epochs=epochs, lr=0.05, batch_size=16, seed=seed),
               callbacks)


def test_callbacks_fire_per_batch_and_per_epoch_in_order():
    rec = Recorder()
    history = train_once(callbacks=[rec])
    assert rec.events[0] == ("start", 12)  # 4 batches of up to 16 from 50 examples, 3 epochs
    assert rec.events[1:6] == [("batch", 1, 1), ("batch", 1, 2), ("batch", 1, 3), ("batch", 1, 4), ("epoch", 1)]
    assert rec.events[-1] == ("end", 3) and len(history) == 3


def test_same_seed_same_numbers_different_seed_different_numbers():
    a, b, c = train_once(0), train_once(0), train_once(1)
    assert [e.to_dict() | {"seconds": 0} for e in a] == [e.to_dict() | {"seconds": 0} for e in b]
    assert [e.loss for e in a] != [e.loss for e in c]


def test_learning_happens():
    history = train_once(epochs=8)
    assert history[-1].val_loss < history[0].val_loss and history[-1].val_accuracy >= 0.9


def test_batches_cover_every_example_once():
    x = torch.arange(10)
    seen = torch.cat([b[0] for b in batches([x], 3, torch.Generator().manual_seed(0))])
    assert sorted(seen.tolist()) == list(range(10))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"epochs": 0}, "Epochs (epochs) must be between 1 and 50, got 0"),
    ({"lr": 5.0}, "Learning rate (lr) must be between 0.0001 and 1, got 5"),
    ({"lr": float("nan")}, "Learning rate (lr) must be between 0.0001 and 1, got nan"),
    ({"batch_size": 2.5}, "Batch size (batch_size) must be a whole number, got 2.5"),
    ({"seed": -1}, "Seed (seed) must be between 0 and 2,147,483,647, got -1"),
])
def test_settings_out_of_range_are_named(kwargs, message):
    with pytest.raises(ValueError) as info:
        TrainConfig(**kwargs)
    assert str(info.value) == message


def epoch(i, loss, val_loss, acc=0.5, val_acc=0.5):
    return EpochResult(i, loss, acc, val_loss, val_acc)


def test_seeded_builds_reproducible_weights_while_other_threads_seed_too():
    import threading

    def build(seed):
        with seeded(seed):
            return nn.Linear(16, 16).weight.detach().clone()

    alone = {seed: build(seed) for seed in range(8)}
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    results = {}
    threads = [threading.Thread(target=lambda s=seed: results.__setitem__(s, build(s))) for seed in range(8)
               for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(torch.equal(results[seed], alone[seed]) for seed in range(8))
    assert torch.equal(torch.random.get_rng_state(), before)  # the caller's generator is left as it was


def test_concurrent_lesson_runs_reproduce_their_own_seeds():
    import threading

    from pipeline.lessons import get_lesson

    lesson = get_lesson("sequence-classification")
    settings = [lesson.settings_type(epochs=1, samples=200, seed=s) for s in (1, 2)]
    alone = [lesson.run(s).epochs[0].loss for s in settings]
    together = {}
    threads = [threading.Thread(target=lambda s=s: together.__setitem__(s.seed, lesson.run(s).epochs[0].loss))
               for s in settings]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [together[1], together[2]] == alone and alone[0] != alone[1]


def test_a_callback_can_stop_training_and_the_finished_epochs_are_kept():
    from pipeline.training.loop import StopTraining

    class StopInEpoch3(Callback):
        def on_batch_end(self, result):
            if result.epoch == 3 and result.batch == 2:
                raise StopTraining

    torch.manual_seed(0)
    x, y = torch.randn(64, 3), torch.randint(0, 2, (64,))
    model, reference = nn.Linear(3, 2), nn.Linear(3, 2)
    reference.load_state_dict(model.state_dict())
    stopped = fit(model, step, (x, y), (x, y), TrainConfig(epochs=5, batch_size=16), [StopInEpoch3()])
    two = fit(reference, step, (x, y), (x, y), TrainConfig(epochs=2, batch_size=16))
    assert [e.epoch for e in stopped] == [1, 2] and [e.loss for e in stopped] == [e.loss for e in two]
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), reference.state_dict().values(),
                                                   strict=True))  # the weights epoch 2 ended with


def test_an_epoch_as_plain_dicts_is_what_asdict_gives_without_copying_every_number() -> None:
    """``EpochResult.to_dict`` (``results.plain``): the same dicts, lists and tuples as ``dataclasses.asdict``,
    views and named tuples included; containers are new (changing one leaves the epoch as it was)."""
    import dataclasses
    from collections import namedtuple

    from pipeline.document.views import MatrixView, VectorView
    from pipeline.training.results import EpochResult

    Pair = namedtuple("Pair", "word score")
    matrix = MatrixView(key="m", title="M", description="d", shape=(2, 2), values=((0.5, -1.0), (2.0, 0.25)),
                        rows=("a", "b"))
    vector = VectorView(key="v", title="V", description="d", shape=(3,), values=(0.5, -0.25, 1.0))
    epoch = EpochResult(epoch=2, loss=0.5, accuracy=0.75, val_loss=0.6, val_accuracy=0.7, metrics={"f1": 0.7},
                        probes={"good": {"positive": 0.9}, "pairs": [Pair("x", 1.0)]},
                        inside={"good": {"m": matrix, "v": vector}}, space=((0.0, 1.0), (2.0, 3.0)))
    plain = epoch.to_dict()
    assert plain == dataclasses.asdict(epoch)
    assert plain["inside"]["good"]["m"]["values"] == ((0.5, -1.0), (2.0, 0.25))
    assert type(plain["probes"]["pairs"][0]) is Pair and isinstance(plain["inside"]["good"]["v"], dict)
    plain["probes"]["good"]["positive"] = 0.0
    plain["probes"]["pairs"].append(None)
    assert epoch.probes == {"good": {"positive": 0.9}, "pairs": [Pair("x", 1.0)]}
