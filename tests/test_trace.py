"""The tracer: the Trace object and its look-ups, shapes against torchinfo, functional ops, clean-up,
bounded samples in their own shape, whole-tensor statistics, merged passes, isolation between threads."""

import threading
from collections import namedtuple

import pytest
import torch
import torch.nn.functional as F
import torchinfo
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from pipeline.trace import (
    SAMPLE_LIMIT,
    Record,
    RecordKind,
    Trace,
    TraceError,
    capture,
    format_structure,
    take_sample,
    trace,
)
from pipeline.trace.capture import op_name, packed_copy, to_host
from pipeline.trace.record import TensorSpec, first_spec


class Twice(nn.Module):
    """Calls the same block twice: the trace must show it twice."""

    def __init__(self) -> None:
        super().__init__()
        self.block = nn.Linear(8, 8)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.block(torch.relu(self.block(x))))


class GRUStack(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(30, 12)
        self.gru = nn.GRU(12, 20, num_layers=2, batch_first=True)
        self.out = nn.Linear(20, 4)

    def forward(self, ids):
        states, _ = self.gru(self.embed(ids))
        return self.out(states[:, -1])


class ConvText(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(40, 8)
        self.conv = nn.Conv1d(8, 6, 3)
        self.pool = nn.AdaptiveMaxPool1d(1)
        self.out = nn.Linear(6, 3)

    def forward(self, ids):
        x = self.conv(self.embed(ids).transpose(1, 2))
        return self.out(self.pool(torch.relu(x)).squeeze(-1))


class OwnParameters(nn.Module):
    """No submodules: only its own parameters, used through functions."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(5, 3))
        self.bias = nn.Parameter(torch.zeros(3))

    def forward(self, x):
        return torch.tanh(x @ self.weight + self.bias)


Pair = namedtuple("Pair", "scores hidden")


class DictIn(nn.Module):
    """Takes keyword inputs (a dict) and returns a namedtuple."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 6)
        self.b = nn.Linear(6, 2)

    def forward(self, features, mask):
        h = self.a(features) * mask
        return Pair(self.b(h), h)


class DictOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Linear(3, 5)

    def forward(self, x):
        return {"logits": self.enc(x), "pooled": self.enc(x).mean(dim=1)}


MODELS = {
    "gru stack": (GRUStack, lambda: torch.randint(0, 30, (3, 7))),
    "conv1d text": (ConvText, lambda: torch.randint(0, 40, (2, 9))),
    "transformer": (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 2,
                                                  enable_nested_tensor=False), lambda: torch.randn(3, 5, 16)),
    "twice": (Twice, lambda: torch.randn(5, 8)),
    "bare lstm": (lambda: nn.LSTM(4, 8, batch_first=True), lambda: torch.randn(2, 3, 4)),
    "single linear": (lambda: nn.Linear(6, 2), lambda: torch.randn(4, 6)),
    "own parameters": (OwnParameters, lambda: torch.randn(2, 5)),
    "dict in, namedtuple out": (DictIn, lambda: {"features": torch.randn(2, 4), "mask": torch.ones(2, 6)}),
    "dict out": (DictOut, lambda: torch.randn(2, 4, 3)),
}


def _reference_shape(structure):
    """The shape torchinfo reports for an output: the first tensor, but the *last* value of a dict."""
    if isinstance(structure, dict):
        return _reference_shape(list(structure.values())[-1])
    spec = first_spec(structure)
    return list(spec.shape) if spec else []


@pytest.mark.parametrize("name", MODELS)
def test_leaf_output_shapes_and_parameters_match_torchinfo(name):
    make, make_input = MODELS[name]
    torch.manual_seed(0)
    model, x = make(), make_input()
    model.eval()
    with torch.no_grad(), trace(model) as t:
        model(**x) if isinstance(x, dict) else model(x)
    summary = torchinfo.summary(model, input_data=x, verbose=0, mode="eval")
    leaves = [layer for layer in summary.summary_list if layer.executed and layer.is_leaf_layer]
    assert leaves, "torchinfo recorded no leaf"
    names = {m: n for n, m in model.named_modules()}
    ours = [(r.type, _reference_shape(r.outputs)) for r in t.modules()
            if not any(model.get_submodule(r.name).children())]
    theirs = [(layer.class_name, layer.output_size) for layer in leaves]
    assert ours == theirs
    for layer in leaves:  # and every leaf's parameters, by module
        assert t[names[layer.module]].num_params == sum(p.numel() for p in layer.module.parameters())
    assert t.root.num_params == sum(p.numel() for p in model.parameters())


def test_the_model_itself_is_recorded_first_so_a_bare_leaf_gives_its_record():
    lstm = nn.LSTM(4, 8, batch_first=True)
    with trace(lstm) as t:
        lstm(torch.randn(2, 3, 4))
    assert len(t) == 1 and t.root is t[0] and t[""] is t.root and t.root.label == "LSTM"
    assert format_structure(t.root.outputs) == "(Tensor[2, 3, 8], (Tensor[1, 2, 8], Tensor[1, 2, 8]))"
    assert t.root.num_params == sum(p.numel() for p in lstm.parameters())


def test_namedtuple_and_dict_structures_are_described_with_their_names():
    model = DictIn()
    with trace(model) as t:
        model(features=torch.randn(2, 4), mask=torch.ones(2, 6))
    assert format_structure(t.root.outputs) == "Pair(scores=Tensor[2, 2], hidden=Tensor[2, 6])"
    assert format_structure(t.root.inputs) == "(Tensor[2, 4], Tensor[2, 6])"
    model = DictOut()
    with trace(model) as t:
        model(torch.randn(2, 4, 3))
    assert format_structure(t.root.outputs) == "{logits: Tensor[2, 4, 5], pooled: Tensor[2, 5]}"


def test_each_call_in_a_pass_is_its_own_record_addressed_by_call_number():
    model = Twice()
    with trace(model) as t:
        model(torch.randn(2, 8))
    assert [(r.name, r.call) for r in t] == [("", 0), ("block", 0), ("block", 1), ("head", 0)]
    assert t["block"] is t["block", 0] and t["block", 1].call == 1 and t.calls("block") == [t["block"], t["block", 1]]
    with pytest.raises(KeyError, match=r"'block' has 2 call\(s\) in a forward pass \(0 to 1\); there is no call 5"):
        t["block", 5]
    with pytest.raises(KeyError, match="no call of 'blok' was recorded; did you mean 'block'"):
        t["blok"]


def test_a_decoder_loop_gives_one_record_per_step():
    cell = nn.GRUCell(3, 3)

    class Loop(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cell = cell

        def forward(self, h):
            outs = []
            for _ in range(4):
                h = self.cell(torch.ones_like(h), h)
                outs.append(h)
            return torch.stack(outs, dim=1)

    model = Loop()
    h0 = torch.zeros(2, 3)
    with torch.no_grad(), trace(model) as t:
        model(h0)
    steps = t.calls("cell")
    assert [r.call for r in steps] == [0, 1, 2, 3]
    h = h0
    for record in steps:  # each step's own values, not the first step's
        h = cell(torch.ones_like(h), h)
        assert torch.allclose(record.sample, h[0])


def test_functional_ops_are_recorded_with_ops_true_named_after_the_torch_function():
    class Attention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q = nn.Linear(8, 8)

        def forward(self, x):
            scores = self.q(x) @ x.transpose(1, 2)  # (B, T, T)
            weights = F.softmax(scores, dim=-1)  # (B, T, T)
            mixed = torch.bmm(weights, x)  # (B, T, 8)
            return torch.cat([mixed, x], dim=-1)  # (B, T, 16)

    model = Attention()
    with torch.no_grad(), trace(model, ops=True) as t:
        model(torch.randn(2, 5, 8))
    shapes = {r.type: r.output_shape for r in t.ops()}
    assert shapes == {"transpose": [2, 8, 5], "matmul": [2, 5, 5], "softmax": [2, 5, 5], "bmm": [2, 5, 8],
                      "cat": [2, 5, 16]}
    softmax = t.ops("softmax")
    assert len(softmax) == 1, "F.softmax calls Tensor.softmax inside: it must be recorded once"
    assert softmax[0].name == "softmax()" and softmax[0].module == "" and softmax[0].operation == "softmax(dim=-1)"
    assert torch.allclose(softmax[0].sample.sum(dim=-1), torch.ones(5))
    assert t["cat()"].input_shape == [2, 5, 8]
    assert all(r.kind is RecordKind.MODULE for r in t if r.type == "Linear")
    assert not any(r.module == "q" for r in t.ops()), "ops inside PyTorch's own nn.Linear are its implementation"
    with trace(model) as plain:
        model(torch.randn(2, 5, 8))
    assert plain.ops() == [] and len(plain) == 2


@pytest.mark.parametrize("eager", [True, False])
def test_an_uninitialised_tensor_is_recorded_with_its_shape_and_no_values(monkeypatch, eager):
    """torch.empty's "values" are whatever was in memory (on an H200 its mean was 1e18 off the CPU's):
    showing them to a learner as the model's numbers would be a lie."""
    class Scratch(nn.Module):
        def forward(self, x):
            out = torch.empty_like(x)
            out.copy_(x * 2)
            return out + x.new_empty(x.shape).fill_(1)

    monkeypatch.setattr(capture, "_EAGER_DEVICES", frozenset({"cpu"} if eager else ()))
    model = Scratch()
    with torch.no_grad(), trace(model, ops=True) as t:
        model(torch.ones(3, 4))
    for fn in ("empty_like", "new_empty"):
        record = t[f"{fn}()"]
        assert record.output_shape == [3, 4] and record.sample is None and record.stats is None
    assert t["add()"].stats.mean == pytest.approx(3.0)


def test_op_names_read_like_the_torch_functions():
    assert op_name(torch.matmul) == "matmul" and op_name(torch.Tensor.__matmul__) == "matmul"
    assert op_name(torch.Tensor.__rmatmul__) == "matmul" and op_name(torch.Tensor.__truediv__) == "div"
    assert op_name(torch.Tensor.__iadd__) == "add_" and op_name(F.softmax) == "softmax"


def _global_hooks():
    module = nn.modules.module
    return (len(module._global_forward_pre_hooks), len(module._global_forward_hooks),
            len(module._global_forward_hooks_always_called), len(module._global_forward_hooks_with_kwargs))


def _local_hooks(model):
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_nothing_is_left_behind_after_a_normal_and_a_failing_forward():
    model = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5), nn.Linear(3, 2))
    model.train()
    before = _global_hooks()
    with trace(model, train=False, ops=True) as t:
        assert not model.training and not model[1].training
        assert torch.overrides._get_current_function_mode_stack(), "the op mode is on inside the block"
        model(torch.randn(2, 4))
    assert len(t) == 4
    for failing in (True,):
        with pytest.raises(RuntimeError), trace(model, train=False, ops=failing):
            model(torch.randn(2, 5))  # wrong width: the first Linear raises
    assert _global_hooks() == before and _local_hooks(model) == 0
    assert not torch.overrides._get_current_function_mode_stack()
    assert model.training and model[1].training


def test_user_hooks_keep_firing_during_and_after_the_trace():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    seen = []
    handle = model[0].register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape)))
    with trace(model) as t:
        model(torch.randn(2, 4))
    model(torch.randn(5, 4))
    assert seen == [(2, 3), (5, 3)]
    assert t["0"].output_shape == [2, 3]
    assert len(model[0]._forward_hooks) == 1
    handle.remove()


def test_only_this_models_calls_from_this_thread_are_recorded():
    model, other = nn.Linear(3, 3), nn.Linear(3, 3)
    with trace(model) as t:
        worker = threading.Thread(target=lambda: model(torch.randn(1, 3)))
        worker.start()
        worker.join()
        other(torch.randn(2, 3))
        model(torch.randn(4, 3))
    assert [r.output_shape for r in t] == [[4, 3]]


def test_samples_keep_their_shape_up_to_the_limit_and_statistics_cover_the_whole_tensor():
    emb = nn.Embedding(50, 256)
    ids = torch.randint(0, 50, (64, 10))
    with torch.no_grad(), trace(emb) as t:
        out = emb(ids)
    record = t.root
    assert record.sample_shape == [10, 256] and torch.equal(record.sample, out[0])  # 2,560 <= 4,096: all of it
    whole = out.double()
    assert record.stats.count == whole.numel()
    assert record.stats.mean == pytest.approx(whole.mean().item(), abs=1e-5)
    assert record.stats.std == pytest.approx(whole.std(correction=0).item(), rel=1e-4)
    assert (record.stats.min, record.stats.max) == pytest.approx((whole.min().item(), whole.max().item()))
    big = nn.Identity()
    with trace(big) as t:
        big(torch.arange(2 * 40 * 300).reshape(2, 40, 300))
    assert t.root.sample.numel() <= SAMPLE_LIMIT and t.root.sample.dim() == 2
    assert t.root.sample_shape == [40, 102] and t.root.sample[1, 0] == 300  # row 1 of the first example


def test_a_sample_is_a_copy_so_in_place_changes_later_do_not_reach_it():
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(inplace=True))
    with torch.no_grad(), trace(model) as t:
        model(torch.full((1, 3), -1.0))
    assert (t["0"].sample < 0).any() and (t["1"].sample >= 0).all()


def test_take_sample_is_a_bounded_shape_preserving_slice_of_the_first_example():
    x = torch.arange(2 * 10 * 50).reshape(2, 10, 50)
    part = take_sample(x, 64)
    assert list(part.shape) == [8, 8] and part[1, 0] == 50
    assert torch.equal(take_sample(x, 4096), x[0])
    assert list(take_sample(torch.randn(3, 3), 64).shape) == [3]
    assert take_sample(torch.tensor(5.0)).item() == 5.0


def test_repeated_forwards_merge_into_the_first_pass_and_mark_varying_dims():
    model = nn.Sequential(nn.Linear(3, 3))
    inputs = [torch.randn(4, 3), torch.randn(7, 3), torch.randn(4, 3)]
    with torch.no_grad(), trace(model) as t:
        outputs = [model(x) for x in inputs]
    first = outputs[0].double()
    record = t["0"]
    assert t.passes == 3 and record.passes == 3 and len(t) == 2
    assert record.stats.mean == pytest.approx(first.mean().item(), abs=1e-6)
    assert torch.equal(record.sample, outputs[0][0])
    assert record.output_shape == [None, 3] and record.input_shape == [None, 3]  # the batch size varied


def test_memory_does_not_grow_with_batch_size_or_number_of_passes():
    model = nn.Sequential(nn.Embedding(50, 16), nn.LSTM(16, 32, batch_first=True))

    def traced(batch, passes):
        with torch.no_grad(), trace(model) as t:
            for _ in range(passes):
                model(torch.randint(0, 50, (batch, 10)))
        return t

    small, big, many = traced(2, 1), traced(512, 1), traced(2, 40)
    size = lambda t: sum(r.sample.numel() for r in t)  # noqa: E731
    assert size(big) == size(small) == size(many)
    assert len(many) == len(small) and [r.passes for r in many] == [40, 40, 40]


def test_one_transfer_packs_and_unpacks_tensors_of_mixed_dtypes_exactly():
    tensors = [torch.tensor([1.5, -2.0]), torch.tensor([[1, 2], [3, 4]]), torch.tensor([True, False, True]),
               torch.tensor(3.25, dtype=torch.float64), torch.arange(5, dtype=torch.int16)]
    for moved in (packed_copy(tensors), to_host(tensors)):
        assert all(a.dtype == b.dtype and torch.equal(a, b) for a, b in zip(tensors, moved, strict=True))


class _InPlace(nn.Module):
    """A model whose outputs change after they are recorded (in-place ReLU), in half and bfloat16, with
    an output returned twice (the container's is its last part's), a scalar and an integer output."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 80), nn.ReLU(inplace=True), nn.Linear(80, 80), nn.Tanh())
        self.low = nn.Linear(80, 5).to(torch.bfloat16)

    def forward(self, x):
        h = self.body(x)
        y = self.low(h.to(torch.bfloat16))
        return y.float().sum(), y.argmax(-1)


@pytest.mark.parametrize("make, x", [
    (_InPlace, torch.randn(7, 6)),
    (lambda: nn.Sequential(nn.Embedding(30, 40), nn.LSTM(40, 64, batch_first=True)), torch.randint(0, 30, (9, 12))),
    (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(32, 4, 64, batch_first=True, dropout=0.0), 2,
                                   enable_nested_tensor=False), torch.randn(3, 70, 32)),
])
def test_the_batched_path_of_accelerators_gives_the_per_record_numbers(monkeypatch, make, x):
    """Accelerators copy each output once and reduce them all at the end of the pass; run here on the CPU,
    that path must give every record the same sample and statistics as the per-record reductions."""
    torch.manual_seed(0)
    model = make().eval()
    with torch.no_grad(), trace(model) as eager:
        model(x)
    monkeypatch.setattr(capture, "_EAGER_DEVICES", frozenset())
    with torch.no_grad(), trace(model) as batched:
        model(x)
    assert [r.key for r in batched] == [r.key for r in eager]
    for a, b in zip(eager, batched, strict=True):
        assert (a.sample is None) == (b.sample is None), a.name
        if a.sample is not None:
            assert a.sample.dtype == b.sample.dtype and a.sample.shape == b.sample.shape, a.name
            assert torch.allclose(a.sample.float(), b.sample.float(), atol=1e-6), a.name
        assert (a.stats is None) == (b.stats is None), a.name
        if a.stats is not None:
            for field in ("min", "max", "mean", "std"):
                assert getattr(b.stats, field) == pytest.approx(getattr(a.stats, field), rel=1e-4, abs=1e-5), \
                    (a.name, field)
    if make is _InPlace:
        linear = eager["body.0"]
        assert linear.stats.min < 0  # recorded before the in-place ReLU changed it, on both paths
        assert batched["body.0"].stats.min == pytest.approx(linear.stats.min)


class _Kernels(TorchDispatchMode):
    """Counts the ATen operations (kernels, on an accelerator) run while it is active."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += func not in _VIEWS
        return func(*args, **(kwargs or {}))


_VIEWS = {torch.ops.aten.view.default, torch.ops.aten._unsafe_view.default, torch.ops.aten.reshape.default,
          torch.ops.aten.detach.default, torch.ops.aten.alias.default, torch.ops.aten.select.int,
          torch.ops.aten.slice.Tensor, torch.ops.aten.split_with_sizes.default, torch.ops.aten.t.default,
          torch.ops.aten.unsqueeze.default, torch.ops.aten.expand.default, torch.ops.aten.empty.memory_format}


def test_on_an_accelerator_a_module_costs_one_kernel_and_the_pass_a_few_more(monkeypatch):
    """Each launch costs microseconds on a GPU: the batched path runs one copy per module plus a fixed
    number of kernels per pass, where reducing each record on its own runs four or five per module."""
    def kernels(layers: int, eager: bool) -> int:
        model = nn.Sequential(*[m for _ in range(layers // 2) for m in (nn.Linear(16, 16), nn.ReLU())]).eval()
        x = torch.randn(4, 16)
        monkeypatch.setattr(capture, "_EAGER_DEVICES", frozenset({"cpu"} if eager else ()))
        with torch.no_grad():
            model(x)
            with trace(model):
                model(x)  # the sample positions of each shape are worked out once, then kept
            with _Kernels() as plain:
                model(x)
            with _Kernels() as traced, trace(model):
                model(x)
        return traced.count - plain.count

    # 40 more layers (the Sequential's output is its last layer's, gathered once)
    assert kernels(50, eager=True) - kernels(10, eager=True) >= 4 * 40
    assert kernels(50, eager=False) - kernels(10, eager=False) == 40
    assert kernels(10, eager=False) <= 10 + 20


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torchscript_is_refused_with_our_own_message():
    scripted = torch.jit.script(nn.Linear(3, 2))
    with pytest.raises(TraceError, match=r"the model is a TorchScript module .*Trace the original nn\.Module"), \
            trace(scripted):
        pass
    wrapper = nn.Sequential(nn.ReLU(), scripted)
    with pytest.raises(TraceError, match="its submodule '1' is a TorchScript module"), trace(wrapper):
        pass


def test_bad_arguments_are_named():
    with pytest.raises(TraceError, match=r"nn\.Module, got function"), trace(lambda x: x):
        pass
    with pytest.raises(TraceError, match="sample_limit must be a positive integer, got 0"), \
            trace(nn.ReLU(), sample_limit=0):
        pass


def test_text_batches_are_ragged_specs_not_per_item_lists():
    class Upper(nn.Module):
        def forward(self, texts):
            return [t.upper().split() for t in texts]

    model = nn.Sequential(Upper())
    with trace(model) as t:
        model(["a b", "c d e"] * 500)
    assert t["0"].input_shape == [1000, None] and t["0"].output_shape == [1000, None]
    assert t["0"].sample == ["A", "B"] and t["0"].dtype == "str"
    assert t["0"].outputs == TensorSpec((1000, None), "str")


def test_children_are_the_calls_made_directly_inside_a_call():
    model = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2,
                                  enable_nested_tensor=False)
    with torch.no_grad(), trace(model) as t:
        model(torch.randn(1, 3, 8))
    assert [r.name for r in t.children()] == ["layers.0", "layers.1"]  # the ModuleList is never called itself
    assert "layers.0.self_attn" in [r.name for r in t.children(t["layers.0"])]


# --- the Trace's look-ups on records made by hand (each kills mutants the tests above let through) ---

def hand_trace() -> Trace:
    """A model "Net" calling enc (twice, its second call recorded first), enc.rnn inside it, and a softmax op."""
    def call(name: str, n: int = 0, kind: RecordKind = RecordKind.MODULE, depth: int = 1, **kw) -> Record:
        return Record(name=name, kind=kind, type=kw.pop("type", "Linear"), call=n, module=kw.pop("module", name),
                      depth=depth, operation="op", num_params=kw.pop("num_params", 0), **kw)

    return Trace("Net", [call("", depth=0, type="Net", num_params=42), call("enc", 1), call("enc"),
                         call("enc.rnn", depth=2, type="GRU", num_params=7),
                         call("enc.softmax()", kind=RecordKind.OP, depth=2, type="softmax", module="enc"),
                         call("head", type="Linear", num_params=3)], ops=True, passes=1)


def test_names_and_calls_are_found_in_their_own_index():
    """`'' in t` must look in the names (the issue's mutation: looking it up among (name, call) keys made Open a
    trace show 0 parameters)."""
    t = hand_trace()
    assert "" in t and "enc" in t and "enc.rnn" in t and "nope" not in t
    assert ("enc", 1) in t and ("enc", 2) not in t and ("enc",) not in t
    assert t.root.num_params == 42 and t[0] in t and t.root is t[""] is t.get("") is t["", 0]
    assert [r.call for r in t.calls("enc")] == [0, 1] and t.calls("nope") == []
    assert t.get("enc", 1) is t["enc", 1] and t.get("enc", 2) is None


def test_a_missing_call_is_named_with_what_there_is():
    t = hand_trace()
    with pytest.raises(KeyError) as missing:
        t["enc", 5]
    assert missing.value.args[0] == "'enc' has 2 call(s) in a forward pass (0 to 1); there is no call 5"
    with pytest.raises(KeyError) as missing:
        t["enx"]
    assert missing.value.args[0] == "no call of 'enx' was recorded; did you mean 'enc'?"
    with pytest.raises(KeyError) as missing:
        t["zzzzzz"]
    assert missing.value.args[0] == "no call of 'zzzzzz' was recorded"
    with pytest.raises(ValueError, match=r"^the trace already has call 0 of 'head'$"):
        t.add(t["head"])


def test_ops_modules_children_span_and_the_summary():
    t = hand_trace()
    assert [r.name for r in t.ops()] == ["enc.softmax()"] and t.ops("relu") == []
    assert [r.name for r in t.ops("softmax")] == ["enc.softmax()"]
    assert [r.name for r in t.modules()] == ["", "enc", "enc", "enc.rnn", "head"]
    assert [(r.name, r.call) for r in t.children()] == [("enc", 1), ("enc", 0), ("head", 0)]
    assert [r.name for r in t.children(t["enc"])] == ["enc.rnn", "enc.softmax()"]
    assert [(r.name, r.call) for r in t.span("enc", "enc")] == [("enc", 0), ("enc.rnn", 0), ("enc.softmax()", 0)]
    assert [r.name for r in t.outermost(t.span("enc", "head"))] == ["enc", "head"]
    assert repr(t) == "Trace(Net: 5 module calls, 1 ops, 1 pass(es))"
    lines = t.summary().splitlines()
    assert lines[0].split() == ["call", "type", "output", "params"] and set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["Net", "Net", "None", "42"]
    assert lines[3].split() == ["enc", "[1]", "Linear", "None", "0"]
    assert lines[5].split() == ["enc.rnn", "GRU", "None", "7"]
    assert lines[6].split() == ["enc.softmax()", "softmax", "None"]
    assert lines[3].startswith("  enc [1]") and lines[5].startswith("    enc.rnn")
