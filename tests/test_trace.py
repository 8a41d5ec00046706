"""The tracer: shapes against torchinfo, nested structures, clean-up, bounded memory, merged stats."""

import pickle

import pytest
import torch
import torchinfo
from torch import nn

from pipeline.trace import SAMPLE_SIZE, Stats, format_structure, take_sample, trace


class Twice(nn.Module):
    """Calls the same block twice: the trace must show it twice."""

    def __init__(self) -> None:
        super().__init__()
        self.block = nn.Linear(8, 8)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.block(torch.relu(self.block(x))))


class GRUNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(30, 12)
        self.gru = nn.GRU(12, 20, batch_first=True)
        self.out = nn.Linear(20, 4)

    def forward(self, ids):
        states, _ = self.gru(self.embed(ids))
        return self.out(states[:, -1])


MODELS = {
    "gru": (GRUNet, lambda: torch.randint(0, 30, (3, 7))),
    "conv1d": (lambda: nn.Sequential(nn.Conv1d(4, 6, 3), nn.ReLU(), nn.MaxPool1d(2), nn.Flatten(), nn.Linear(42, 5)),
               lambda: torch.randn(2, 4, 16)),
    "transformer": (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 2),
                    lambda: torch.randn(3, 5, 16)),
    "nested": (lambda: nn.Sequential(nn.Sequential(nn.Linear(6, 9), nn.Tanh()), nn.Sequential(nn.Linear(9, 3))),
               lambda: torch.randn(4, 6)),
    "twice": (Twice, lambda: torch.randn(5, 8)),
}


@pytest.mark.parametrize("name", MODELS)
def test_shapes_and_params_match_torchinfo(name):
    make, make_input = MODELS[name]
    torch.manual_seed(0)
    model, x = make(), make_input()
    model.eval()
    with torch.no_grad(), trace(model) as stages:
        model(x)
    summary = torchinfo.summary(model, input_data=x, verbose=0, mode="eval")
    expected = [layer for layer in summary.summary_list[1:] if layer.executed]  # drop the root and unused lists
    ours = [(s.module_type, s.output_shape) for s in stages]
    theirs = [(layer.class_name, layer.output_size) for layer in expected]
    assert ours == theirs
    leaves = [s for s in stages if not any(t.name.startswith(s.name + ".") for t in stages)]
    assert all(s.num_params == sum(p.numel() for p in model.get_submodule(s.name).parameters()) for s in leaves)


def test_module_called_twice_appears_twice_in_execution_order():
    model = Twice()
    with trace(model) as stages:
        model(torch.randn(2, 8))
    assert [s.name for s in stages] == ["block", "block", "head"]
    assert all(s.calls == 1 for s in stages)


def test_lstm_output_is_described_as_output_and_state_tuple():
    lstm = nn.LSTM(5, 7, batch_first=True)
    with trace(nn.Sequential(lstm)) as stages:
        nn.Sequential(lstm)(torch.randn(3, 4, 5))
    (record,) = stages
    assert format_structure(record.output_structure) == "(Tensor[3, 4, 7], (Tensor[1, 3, 7], Tensor[1, 3, 7]))"
    assert record.output_shape == [3, 4, 7]
    assert record.to_dict()["output"] == "(Tensor[3, 4, 7], (Tensor[1, 3, 7], Tensor[1, 3, 7]))"


def _our_hooks(model):
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_hooks_removed_and_mode_restored_after_normal_and_failing_forward():
    model = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5), nn.Linear(3, 2))
    model.train()
    with trace(model, train=False) as stages:
        assert not model.training and not model[1].training
        model(torch.randn(2, 4))
    assert _our_hooks(model) == 0 and model.training and model[1].training
    assert len(stages) == 3
    with pytest.raises(RuntimeError), trace(model, train=False):
        model(torch.randn(2, 5))  # wrong width: the first Linear raises
    assert _our_hooks(model) == 0 and model.training and model[1].training


def test_user_hooks_keep_firing_during_and_after_the_trace():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    seen = []
    handle = model[0].register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape)))
    with trace(model) as stages:
        model(torch.randn(2, 4))
    model(torch.randn(5, 4))
    assert seen == [(2, 3), (5, 3)]
    assert stages[0].output_shape == [2, 3]
    assert len(model[0]._forward_hooks) == 1
    handle.remove()


def test_memory_does_not_grow_with_batch_size_or_number_of_batches():
    model = nn.Sequential(nn.Embedding(50, 16), nn.LSTM(16, 32, batch_first=True))

    def traced(batch, batches):
        with torch.no_grad(), trace(model) as stages:
            for _ in range(batches):
                model(torch.randint(0, 50, (batch, 10)))
        return stages

    small, big, many = traced(2, 1), traced(512, 1), traced(2, 40)
    assert [len(s.sample) for s in big] == [len(s.sample) for s in small] == [SAMPLE_SIZE, SAMPLE_SIZE]
    assert len(many) == len(small) and [s.calls for s in many] == [40, 40]
    for stages in (big, many):
        growth = len(pickle.dumps(stages)) / len(pickle.dumps(small))
        assert growth < 1.1, f"trace grew {growth:.2f}x"


def test_repeated_calls_keep_the_first_calls_values_and_mark_varying_dims():
    model = nn.Sequential(nn.Linear(3, 3))
    inputs = [torch.randn(4, 3), torch.randn(7, 3), torch.randn(4, 3)]
    with torch.no_grad(), trace(model) as stages:
        outputs = [model(x) for x in inputs]
    first = outputs[0].flatten().double()
    record = stages[0]
    assert record.calls == 3 and record.stats.count == first.numel()
    assert record.stats.mean == pytest.approx(first.mean().item(), abs=1e-6)
    assert record.stats.std == pytest.approx(first.std(correction=0).item(), abs=1e-6)
    assert (record.stats.min, record.stats.max) == pytest.approx((first.min().item(), first.max().item()))
    assert record.sample == pytest.approx(outputs[0][0].tolist())
    assert record.output_shape == [None, 3] and record.input_shape == [None, 3]  # batch size varied


def test_stats_of_integer_and_boolean_tensors():
    stats = Stats()
    stats.update(torch.tensor([[1, 2], [3, 4]]))
    stats.update(torch.tensor([True, False]))
    assert stats.count == 6 and stats.min == 0 and stats.max == 4
    assert stats.mean == pytest.approx(11 / 6)


def test_sample_is_a_bounded_shape_preserving_slice_of_the_first_example():
    x = torch.arange(2 * 10 * 50).reshape(2, 10, 50)
    values, shape = take_sample(x, 64)
    assert shape == [8, 8]
    assert values[:9] == [0, 1, 2, 3, 4, 5, 6, 7, 50]
    values, shape = take_sample(x, 4096)
    assert shape == [10, 50] and values == x[0].flatten().tolist()
    assert take_sample(torch.randn(3, 3), 64)[1] == [3]


def test_text_batches_are_ragged_specs_not_per_item_lists():
    class Upper(nn.Module):
        def forward(self, texts):
            return [t.upper().split() for t in texts]

    model = nn.Sequential(Upper())
    texts = ["a b", "c d e"] * 500
    with trace(model) as stages:
        model(texts)
    assert stages[0].input_shape == [1000, None] and stages[0].output_shape == [1000, None]
    assert stages[0].sample == ["A", "B"] and stages[0].dtype == "str"


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match=r"nn\.Module, got function"), trace(lambda x: x):
        pass
    with pytest.raises(ValueError, match="sample_size must be a positive integer, got 0"), trace(nn.ReLU(),
                                                                                                 sample_size=0):
        pass
