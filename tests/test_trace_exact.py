"""The tracer's parts in their exact words and orders: the tree of calls with its levels, each call's parent and
path, op names and signatures as printed, structures as printed and as merged across passes, dtype names, the
messages of a missing name or a foreign record, and the fingerprints that decide when a later pass is described
again. Small real models where a model can show it, records made by hand where the case needs one."""

from collections import namedtuple

import pytest
import torch
from torch import nn

from pipeline.trace import (
    Container,
    Record,
    RecordKind,
    TensorSpec,
    Trace,
    TraceFault,
    capture,
    format_structure,
    trace,
    traced_forward,
)
from pipeline.trace import record as record_module
from pipeline.trace.capture import _signature, op_name, op_signature
from pipeline.trace.record import (
    MAX_CONTAINER_ITEMS,
    MAX_NESTING,
    dtype_name,
    merge_structure,
)
from pipeline.trace.result import _inside

MODULE, OP = RecordKind.MODULE, RecordKind.OP


# --- a small real model: a ModuleList of blocks (never called itself), an op in each block and one at the top ---

class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.lin(x)) * 2


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([Block(), Block()])
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.head(torch.relu(x))


def net_trace() -> Trace:
    torch.manual_seed(0)
    model = Net()
    with torch.no_grad(), trace(model, ops=True) as t:
        model(torch.randn(2, 4))
    return t


def levels(pairs) -> list[tuple[str, int, int]]:
    return [(r.name, r.call, level) for r, level in pairs]


def test_the_tree_lists_every_module_call_depth_first_with_its_level_below_the_top():
    t = net_trace()
    assert levels(t.tree()) == [("", 0, 0), ("blocks.0", 0, 1), ("blocks.0.lin", 0, 2), ("blocks.0.act", 0, 2),
                                ("blocks.1", 0, 1), ("blocks.1.lin", 0, 2), ("blocks.1.act", 0, 2), ("head", 0, 1)]
    assert levels(t.tree(modules_only=False)) == [
        ("", 0, 0), ("blocks.0", 0, 1), ("blocks.0.lin", 0, 2), ("blocks.0.act", 0, 2), ("blocks.0.mul()", 0, 2),
        ("blocks.1", 0, 1), ("blocks.1.lin", 0, 2), ("blocks.1.act", 0, 2), ("blocks.1.mul()", 0, 2),
        ("relu()", 0, 1), ("head", 0, 1)]
    assert t.tree()[0][0] is t.root and t.tree(t.root) == t.tree()


def test_the_tree_of_one_call_ends_where_that_call_returned():
    t = net_trace()
    assert levels(t.tree(t["blocks.0"])) == [("blocks.0", 0, 0), ("blocks.0.lin", 0, 1), ("blocks.0.act", 0, 1)]
    assert levels(t.tree(t["blocks.1"], modules_only=False)) == [
        ("blocks.1", 0, 0), ("blocks.1.lin", 0, 1), ("blocks.1.act", 0, 1), ("blocks.1.mul()", 0, 1)]
    assert levels(t.tree(t["head"])) == [("head", 0, 0)]  # the last call: nothing after it
    assert levels(t.tree(t["relu()"], modules_only=False)) == [("relu()", 0, 0)]  # nothing runs inside an op
    assert levels(t.tree(t["blocks.0.lin"])) == [("blocks.0.lin", 0, 0)]


def test_parents_and_paths_follow_the_calls_not_the_module_names():
    t = net_trace()
    assert t.parent(t.root) is None
    assert t.parent(t["blocks.0"]) is t.root  # the ModuleList is never called: the model is the parent
    assert t.parent(t["blocks.1.act"]) is t["blocks.1"] and t.parent(t["blocks.0.mul()"]) is t["blocks.0"]
    assert t.parent(t["relu()"]) is t.root and t.parent(t["head"]) is t.root
    assert [r.name for r in t.path(t["blocks.1.lin"])] == ["", "blocks.1", "blocks.1.lin"]
    assert [r.name for r in t.path(t["blocks.0.mul()"])] == ["", "blocks.0", "blocks.0.mul()"]
    assert t.path(t.root) == [t.root] and t.path(t["head"]) == [t.root, t["head"]]


def make(name: str, call: int = 0, kind: RecordKind = MODULE, module: str | None = None, depth: int | None = None,
         type: str = "Linear") -> Record:
    """A record made by hand: a module's depth from its path, an op one level below the module it ran in."""
    where = name if module is None else module
    if depth is None:
        depth = (where.count(".") + 1 if where else 0) + (kind is OP)
    return Record(name, kind, type, call, where, depth, "op")


def deep_trace(root: bool = True) -> Trace:
    """A model calling enc twice (rnn.cell inside rnn inside enc, a softmax op in enc), then encx (a name that
    starts like enc's), then a shared enc called from inside encx, then encx.lin."""
    records = [make("enc"), make("enc.rnn"), make("enc.rnn.cell"), make("enc.softmax()", kind=OP, module="enc"),
               make("enc.rnn", 1), make("enc", 1), make("enc.rnn", 2), make("encx"), make("enc", 2),
               make("encx.lin")]
    return Trace("Deep", ([make("", type="Deep")] if root else []) + records, ops=True, passes=1)


def test_the_tree_of_hand_made_calls_nested_three_deep():
    t = deep_trace()
    assert levels(t.tree(modules_only=False)) == [
        ("", 0, 0), ("enc", 0, 1), ("enc.rnn", 0, 2), ("enc.rnn.cell", 0, 3), ("enc.softmax()", 0, 2),
        ("enc.rnn", 1, 2), ("enc", 1, 1), ("enc.rnn", 2, 2), ("encx", 0, 1), ("enc", 2, 1), ("encx.lin", 0, 1)]
    assert levels(t.tree(t["enc"])) == [("enc", 0, 0), ("enc.rnn", 0, 1), ("enc.rnn.cell", 0, 2), ("enc.rnn", 1, 1)]
    assert levels(t.tree(t["enc.rnn"])) == [("enc.rnn", 0, 0), ("enc.rnn.cell", 0, 1)]
    assert levels(t.tree(t["enc", 1])) == [("enc", 1, 0), ("enc.rnn", 2, 1)]
    assert levels(t.tree(t["encx"])) == [("encx", 0, 0)]  # enc is not inside encx, and ends it
    headless = deep_trace(root=False)
    assert headless.tree() == [] and headless.children() == []
    assert levels(headless.tree(headless["enc", 1])) == [("enc", 1, 0), ("enc.rnn", 2, 1)]


def test_parents_and_paths_of_hand_made_calls():
    t = deep_trace()
    assert t.parent(t["enc.rnn.cell"]) is t["enc.rnn"] and t.parent(t["enc.rnn", 1]) is t["enc"]
    assert t.parent(t["enc.rnn", 2]) is t["enc", 1] and t.parent(t["enc.softmax()"]) is t["enc"]
    assert t.parent(t["encx.lin"]) is t["encx"]  # not the enc called just before it: "encx" is not "enc."
    assert t.parent(t["enc", 2]) is t.root
    assert [(r.name, r.call) for r in t.path(t["enc.rnn.cell"])] == [("", 0), ("enc", 0), ("enc.rnn", 0),
                                                                    ("enc.rnn.cell", 0)]
    assert [(r.name, r.call) for r in t.path(t["enc.rnn", 2])] == [("", 0), ("enc", 1), ("enc.rnn", 2)]
    headless = deep_trace(root=False)
    assert headless.parent(headless["enc"]) is None and headless.path(headless["enc", 1]) == [headless["enc", 1]]


def test_a_call_is_inside_another_by_its_path():
    enc, cell, softmax = make("enc"), make("enc.rnn.cell"), make("enc.softmax()", kind=OP, module="enc")
    assert _inside(cell, enc) and _inside(make("enc.rnn"), enc) and _inside(softmax, enc)
    assert not _inside(enc, enc) and not _inside(make("enc", 1), enc)  # another call of the same module
    assert not _inside(make("encx.lin"), enc) and not _inside(make("encx"), enc)
    assert not _inside(make("lin"), enc) and not _inside(enc, cell)
    assert _inside(enc, make("", type="Net")) and _inside(softmax, make(""))
    assert not _inside(cell, softmax)  # nothing runs inside an op
    top_op = make("relu()", kind=OP, module="")
    assert not _inside(top_op, enc) and _inside(top_op, make(""))
    assert _inside(make("enc.x()", kind=OP, module="enc.rnn"), make("enc.rnn"))
    assert not _inside(make("enc.x()", kind=OP, module="enc.rnn"), make("enc.rnn.cell"))


def test_a_record_from_elsewhere_is_refused_with_its_name_and_call():
    t = deep_trace()
    stranger = make("enc", 1)  # the same name and call as one of t's, but not t's record
    with pytest.raises(ValueError) as refused:
        t.parent(stranger)
    assert refused.value.args[0] == "'enc' (call 1) is not a record of this trace"
    with pytest.raises(ValueError) as refused:
        t.path(make("", type="Deep"))
    assert refused.value.args[0] == "'Deep' (call 0) is not a record of this trace"
    with pytest.raises(ValueError) as refused:
        t.tree(make("nowhere", 3))
    assert refused.value.args[0] == "'nowhere' (call 3) is not a record of this trace"
    assert t.parent(t["enc", 2]) is t.root  # its own record is found, however far into the trace


def test_missing_names_and_calls_are_explained_in_full_sentences():
    t = Trace("Net", [make("", type="Net"), make("enc1"), make("enc2"), make("enc3"), make("enc4"), make("lin"),
                      make("lin", 1), make("lin", 2)])
    with pytest.raises(KeyError) as missing:
        t["", 4]
    assert missing.value.args[0] == "'Net' has 1 call(s) in a forward pass (0 to 0); there is no call 4"
    with pytest.raises(KeyError) as missing:
        t["lin", 3]
    assert missing.value.args[0] == "'lin' has 3 call(s) in a forward pass (0 to 2); there is no call 3"
    with pytest.raises(KeyError) as missing:
        t["enc"]
    assert missing.value.args[0] == "no call of 'enc' was recorded; did you mean 'enc4', 'enc3', 'enc2'?"
    unnamed = Trace("", [make("")])
    with pytest.raises(KeyError) as missing:
        unnamed["", 1]
    assert missing.value.args[0] == "'the model' has 1 call(s) in a forward pass (0 to 0); there is no call 1"


# --- names and signatures of functional ops ---

def named(name: str):
    def fn():
        return None
    fn.__name__ = name
    return fn


class Nameless:
    """A callable without a ``__name__``: named after its type."""

    def __call__(self):
        return None


@pytest.mark.parametrize("name, expected", [
    ("__matmul__", "matmul"), ("__rmatmul__", "matmul"), ("__add__", "add"), ("__radd__", "add"),
    ("__iadd__", "add_"), ("__rsub__", "sub"), ("__isub__", "sub_"), ("__mul__", "mul"), ("__imul__", "mul_"),
    ("__truediv__", "div"), ("__rtruediv__", "div"), ("__div__", "div"), ("__rdiv__", "div"), ("__idiv__", "div_"),
    ("__itruediv__", "div_"), ("__floordiv__", "floor_divide"), ("__rfloordiv__", "floor_divide"),
    ("__ifloordiv__", "floor_divide_"), ("__rpow__", "pow"), ("__ipow__", "pow_"), ("__mod__", "mod"),
    ("__rmod__", "mod"), ("__and__", "logical_and"), ("__rand__", "logical_and"), ("__iand__", "logical_and_"),
    ("__or__", "logical_or"), ("__ror__", "logical_or"), ("__xor__", "xor"), ("__ixor__", "xor_"),
    ("__invert__", "invert"), ("__rshift__", "rshift"), ("__irshift__", "irshift"), ("__getitem__", "getitem"),
    ("__neg__", "neg"), ("softmax", "softmax"), ("add_", "add_"), ("_private", "_private"), ("__init", "__init"),
    ("end__", "end__"), ("rsub", "rsub"), ("iadd", "iadd"),
])
def test_op_names_drop_the_dunders_the_reflection_and_keep_the_in_place_mark(name, expected):
    assert op_name(named(name)) == expected


def test_op_names_of_attributes_and_nameless_callables():
    assert op_name(torch.Tensor.T.__get__) == "T" and op_name(torch.Tensor.mT.__get__) == "mT"
    assert op_name(named("__get__")) == "get"  # an attribute getter whose attribute is unknown
    getter = named("__get__")
    getter.__self__ = object()  # bound to something without a name
    assert op_name(getter) == "get"
    assert op_name(Nameless()) == "Nameless"
    assert op_name(torch.Tensor.__rtruediv__) == "div" and op_name(torch.Tensor.__itruediv__) == "div_"


def test_reflected_and_in_place_arithmetic_in_a_forward_is_named_like_the_torch_functions():
    class Arithmetic(nn.Module):
        def forward(self, x):
            y = x.clone()
            y /= 2
            y += 1
            return 2 / y - (1 - y) + 3 * y

    model = Arithmetic()
    with torch.no_grad(), trace(model, ops=True) as t:
        model(torch.ones(2, 3))
    assert [r.name for r in t.ops()] == ["clone()", "div_()", "add_()", "div()", "sub()", "sub()", "mul()", "add()"]
    assert [r.call for r in t.ops()] == [0, 0, 0, 0, 0, 1, 0, 0]


def test_op_signatures_keep_the_non_tensor_arguments_as_written():
    x = torch.ones(2)
    assert op_signature("softmax", (x,), {"dim": -1}) == "softmax(dim=-1)"
    assert op_signature("transpose", (x, 1, 2), {}) == "transpose(1, 2)"
    assert op_signature("view", (x, [2, 3]), {}) == "view((2, 3))"
    assert op_signature("view", (x, (1, 2, 3, 4, 5, 6)), {}) == "view((1, 2, 3, 4, 5, 6))"
    assert op_signature("view", (x, (1, 2, 3, 4, 5, 6, 7)), {}) == "view()"  # longer shapes are left out
    assert op_signature("view", (x, (1, 2.0)), {}) == "view()"
    assert op_signature("to", (x,), {"dtype": torch.float16, "copy": True}) == "to(dtype=torch.float16, copy=True)"
    assert op_signature("f", (None, "mean", 0.5, False), {}) == "f(None, 'mean', 0.5, False)"
    assert op_signature("f", (x,), {"out": None, "_hidden": 3, "weight": x, "p": 2}) == "f(p=2)"
    assert op_signature("cat", ([x, x],), {"dim": 0}) == "cat(dim=0)"
    assert op_signature("f", (), {}) == "f()" and op_signature("f", (x, ()), {}) == "f(())"


def test_a_long_op_signature_is_cut_at_sixty_characters():
    exact = op_signature("f", ("a" * 53,), {})  # f('aaa...') : 1 + 1 + 55 + 1 = 58
    assert exact == "f('" + "a" * 53 + "')" and len(exact) == 58
    sixty = op_signature("f", ("a" * 55,), {})
    assert sixty == "f('" + "a" * 55 + "')" and len(sixty) == 60
    cut = op_signature("f", ("a" * 56,), {})
    assert cut == "f('" + "a" * 56 + "…)" and len(cut) == 61
    assert op_signature("f", ("a" * 100,), {}) == "f('" + "a" * 56 + "…)"


def test_an_op_record_says_where_it_ran_and_what_it_was_called_with():
    t = net_trace()
    mul = t["blocks.1.mul()"]
    assert (mul.kind, mul.type, mul.call, mul.module, mul.depth, mul.operation) == (OP, "mul", 0, "blocks.1", 3,
                                                                                    "mul(2)")
    assert format_structure(mul.inputs) == "(Tensor[2, 4], int)" and format_structure(mul.outputs) == "Tensor[2, 4]"
    relu = t["relu()"]
    assert (relu.name, relu.module, relu.depth, relu.operation, relu.passes) == ("relu()", "", 1, "relu()", 1)
    assert torch.equal(relu.sample, torch.relu(t["blocks.1.mul()"].sample))
    assert [r.name for r in t.ops()] == ["blocks.0.mul()", "blocks.1.mul()", "relu()"]


def test_an_op_given_keywords_records_them_as_inputs():
    class Keywords(nn.Module):
        def forward(self, x):
            return torch.cat([x, x], dim=1).softmax(dim=-1)

    model = Keywords()
    with torch.no_grad(), trace(model, ops=True) as t:
        model(torch.zeros(2, 3))
    assert format_structure(t["cat()"].inputs) == "([Tensor[2, 3], Tensor[2, 3]], int)"
    assert t["cat()"].operation == "cat(dim=1)" and t["softmax()"].operation == "softmax(dim=-1)"
    assert torch.allclose(t["softmax()"].sample, torch.full((6,), 1 / 6))


def test_a_failure_while_recording_an_op_names_the_function_and_the_module(monkeypatch):
    def broken(fn, args, kwargs):
        raise RuntimeError("no  signature\nhere")

    monkeypatch.setattr(capture, "op_signature", broken)
    model = Net()
    with pytest.raises(TraceFault) as fault, torch.no_grad(), trace(model, ops=True):
        model(torch.randn(2, 4))
    assert str(fault.value) == ("pipeline-trace could not record a torch function (mul) in 'blocks.0' "
                                "(RuntimeError: no signature here): a bug in pipeline-trace, not in your model -- "
                                "please report it")


def test_traced_forward_runs_once_in_eval_mode_without_gradients_and_restores_the_mode():
    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.drop = nn.Dropout(0.9)
            self.lin = nn.Linear(3, 3)

        def forward(self, x, scale=1.0):
            return self.lin(self.drop(x)) * scale

    torch.manual_seed(0)
    model = Scaled().train()
    x = torch.randn(5, 3)
    output, t = traced_forward(model, x, scale=3.0)
    assert model.training and model.drop.training
    assert not output.requires_grad
    assert torch.allclose(output, model.lin(x).detach() * 3.0)  # dropout was off
    assert [r.name for r in t] == ["", "drop", "lin"] and t.passes == 1 and not t.ops_traced
    _, with_ops = traced_forward(model, x, ops=True)
    assert with_ops.ops_traced and [r.name for r in with_ops.ops()] == ["mul()"]
    assert with_ops["mul()"].operation == "mul(1.0)"


# --- structures: as printed, as merged across passes ---

Pair = namedtuple("Pair", "scores hidden")


def test_tensor_specs_print_their_kind_and_dimensions():
    assert str(TensorSpec((2, None, 3), "float32")) == "Tensor[2, ?, 3]"
    assert str(TensorSpec((), "int64")) == "Tensor[]"
    assert str(TensorSpec((4,), "str")) == "Text[4]" and str(TensorSpec((None, None), "str")) == "Text[?, ?]"
    assert str(TensorSpec((0, 1), "bool")) == "Tensor[0, 1]"


def test_structures_print_as_python_would_write_them():
    spec = TensorSpec((2,), "float32")
    assert format_structure(Container("list", (spec, TensorSpec((3,), "int64")))) == "[Tensor[2], Tensor[3]]"
    assert format_structure(Container("list", (spec,))) == "[Tensor[2]]"
    assert format_structure(Container("tuple", (spec,))) == "(Tensor[2],)"
    assert format_structure(Container("tuple", ())) == "()" and format_structure(Container("list", ())) == "[]"
    assert format_structure(Container("tuple", (spec, None, "int"))) == "(Tensor[2], None, int)"
    assert format_structure({"a": Container("list", (spec,)), "b": None}) == "{a: [Tensor[2]], b: None}"
    assert format_structure({}) == "{}" and format_structure(None) == "None" and format_structure("float") == "float"
    named_pair = Container("namedtuple", (spec, None), "Pair", ("scores", "hidden"))
    assert format_structure(named_pair) == "Pair(scores=Tensor[2], hidden=None)"
    longer = Container("namedtuple", (spec, spec, spec), "P", ("a", "b"))  # the fields named, the rest left out
    assert format_structure(longer) == "P(a=Tensor[2], b=Tensor[2])"
    assert format_structure(Container("namedtuple", (spec,), "One", ("x",))) == "One(x=Tensor[2])"


def test_dtype_names_drop_the_torch_prefix_and_are_kept(monkeypatch):
    names: dict = {}
    monkeypatch.setattr(record_module, "_DTYPE_NAMES", names)
    assert dtype_name(torch.float32) == "float32" and dtype_name(torch.bfloat16) == "bfloat16"
    assert dtype_name(torch.int16) == "int16" and dtype_name(torch.complex64) == "complex64"
    assert names == {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.int16: "int16",
                     torch.complex64: "complex64"}
    names[torch.int8] = "kept"
    assert dtype_name(torch.int8) == "kept"  # the cache answers, str(dtype) is not asked again


def test_records_carry_the_dtype_of_their_main_output():
    class Kinds(nn.Module):
        def forward(self, x):
            return (x > 0).int(), x.half()

    model = nn.Sequential(nn.Linear(3, 3), Kinds())
    with torch.no_grad(), trace(model) as t:
        model(torch.randn(2, 3))
    assert t["0"].dtype == "float32" and t["1"].dtype == "int32" and t.root.dtype == "int32"
    assert format_structure(t["1"].outputs) == "(Tensor[2, 3], Tensor[2, 3])"
    assert t["1"].outputs.items[1].dtype == "float16"


def spec(*shape, dtype="float32") -> TensorSpec:
    return TensorSpec(tuple(shape), dtype)


def test_merging_two_calls_keeps_the_dimensions_they_share():
    assert merge_structure(spec(4, 3), spec(7, 3)) == spec(None, 3)
    assert merge_structure(spec(4, 3), spec(4, 3)) == spec(4, 3)
    assert merge_structure(spec(4, 3), spec(5, 6)) == spec(None, None)
    assert merge_structure(spec(4, 3), spec(4, 3, dtype="float16")) == spec(4, 3)  # the first call's dtype
    assert merge_structure(spec(4, 3, dtype="int64"), spec(4, 3)).dtype == "int64"
    first = spec(4, 3)
    assert merge_structure(first, spec(4, 3, 1)) is first  # another rank: the first call's
    assert merge_structure(first, None) is first and merge_structure(None, first) is None
    assert merge_structure("int", "float") == "int"


def test_merging_containers_goes_item_by_item_when_they_match():
    a = Container("tuple", (spec(4, 3), Container("list", (spec(1, 4), spec(1, 4)))))
    b = Container("tuple", (spec(5, 3), Container("list", (spec(1, 5), spec(1, 4)))))
    assert merge_structure(a, b) == Container("tuple", (spec(None, 3), Container("list", (spec(1, None), spec(1, 4)))))
    pair = Container("namedtuple", (spec(2, 2), spec(2, 6)), "Pair", ("scores", "hidden"))
    other = Container("namedtuple", (spec(3, 2), spec(3, 6)), "Pair", ("scores", "hidden"))
    merged = merge_structure(pair, other)
    assert merged == Container("namedtuple", (spec(None, 2), spec(None, 6)), "Pair", ("scores", "hidden"))
    assert format_structure(merged) == "Pair(scores=Tensor[?, 2], hidden=Tensor[?, 6])"
    short = Container("tuple", (spec(5, 3),))
    assert merge_structure(a, short) is a  # another length
    as_list = Container("list", a.items)
    assert merge_structure(a, as_list) is a and merge_structure(as_list, a) is as_list  # another kind
    assert merge_structure(a, spec(4, 3)) is a and merge_structure(spec(4, 3), a) == spec(4, 3)


def test_merging_dicts_goes_key_by_key_when_they_have_the_same_keys():
    a = {"logits": spec(2, 5), "pooled": spec(2)}
    assert merge_structure(a, {"logits": spec(3, 5), "pooled": spec(2)}) == {"logits": spec(None, 5),
                                                                            "pooled": spec(2)}
    assert merge_structure(a, {"pooled": spec(9), "logits": spec(2, 5)}) == {"logits": spec(2, 5), "pooled": spec(None)}
    assert merge_structure(a, {"logits": spec(3, 5)}) is a
    assert merge_structure(a, {"logits": spec(3, 5), "other": spec(2)}) is a
    assert merge_structure(a, Container("tuple", (spec(2, 5), spec(2)))) is a


class Shapes(nn.Module):
    """Returns its input in every container kind: a dict, a list, a namedtuple and a text batch."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 2)

    def forward(self, x, texts):
        y = self.lin(x)
        return {"y": y, "parts": [y, x[:1]], "pair": Pair(y, x), "texts": [t.split() for t in texts]}


def test_passes_of_other_shapes_widen_every_container_kind():
    model = Shapes()
    with torch.no_grad(), trace(model) as t:
        model(torch.randn(4, 3), ["a b", "c d"])
        model(torch.randn(6, 3), ["a b", "c d"])  # another batch size; the same texts
        model(torch.randn(6, 3), ["a b c", "d"])  # the same tensors; texts of other lengths
    assert t.passes == 3 and t.root.passes == 3
    assert format_structure(t.root.outputs) == ("{y: Tensor[?, 2], parts: [Tensor[?, 2], Tensor[1, 3]], "
                                                "pair: Pair(scores=Tensor[?, 2], hidden=Tensor[?, 3]), "
                                                "texts: Text[2, ?]}")
    assert format_structure(t.root.inputs) == "(Tensor[?, 3], Text[2, ?])"
    assert format_structure(t["lin"].outputs) == "Tensor[?, 2]"


def test_a_pass_of_the_shapes_seen_last_is_not_described_again(monkeypatch):
    described = []

    def counted(value, depth=0):
        described.append(value)
        return record_module.describe(value, depth)

    monkeypatch.setattr(capture, "describe", counted)
    model = Shapes()
    with torch.no_grad(), trace(model) as t:
        model(torch.randn(4, 3), ["a b", "c d"])
        model(torch.randn(6, 3), ["a b", "c d"])
        widened = len(described)
        model(torch.randn(6, 3), ["e f", "g h"])  # the shapes of the pass before: nothing to widen
        assert len(described) == widened
        model(torch.randn(6, 3), ["e f g", "h"])
        assert len(described) == widened + 2  # the model's inputs and outputs, again; lin's are as they were
    assert format_structure(t.root.outputs) == ("{y: Tensor[?, 2], parts: [Tensor[?, 2], Tensor[1, 3]], "
                                                "pair: Pair(scores=Tensor[?, 2], hidden=Tensor[?, 3]), "
                                                "texts: Text[2, ?]}")
    assert t.root.passes == 4 and t["lin"].passes == 4


def test_a_later_pass_is_compared_by_its_shape_fingerprint():
    x = torch.zeros(2, 3)
    assert _signature(x) == torch.Size([2, 3]) and _signature(torch.tensor(1.0)) == torch.Size([])
    assert _signature((x, 3, "ab", None)) == (torch.Size([2, 3]), int, 2, type(None))
    assert _signature([x, [x]]) == (torch.Size([2, 3]), (torch.Size([2, 3]),))
    assert _signature(["ab", "c"]) == [2, None] and _signature(["ab", "cd"]) == [2, 2]
    assert _signature([["a", "b"], ["c", "d"], ["e", "f"]]) == [3, 2]
    assert _signature([[1, 2], [3]]) == ((int, int), (int,))  # lists of lists that are not texts: item by item
    assert _signature([[x], [x]]) == ((torch.Size([2, 3]),), (torch.Size([2, 3]),))
    assert _signature(("ab", "c")) == (2, 1)  # a tuple of texts is not a text batch: each text's length
    assert _signature("abc", MAX_NESTING) == 3
    assert _signature([]) == () and _signature({}) == ()
    assert _signature({"a": x, "b": [x]}) == (("a", torch.Size([2, 3])), ("b", (torch.Size([2, 3]),)))
    many = [torch.zeros(i) for i in range(MAX_CONTAINER_ITEMS + 4)]
    assert _signature(many) == tuple(torch.Size([i]) for i in range(MAX_CONTAINER_ITEMS))
    table = {f"k{i}": i for i in range(MAX_CONTAINER_ITEMS + 2)}
    assert _signature(table) == tuple((f"k{i}", int) for i in range(MAX_CONTAINER_ITEMS))
    assert _signature(x, MAX_NESTING) == torch.Size([2, 3])  # a tensor at any depth is its shape
    assert _signature([x], MAX_NESTING) is list and _signature({"a": 1}, MAX_NESTING) is dict
    assert _signature([x], MAX_NESTING - 1) == (torch.Size([2, 3]),)
    assert _signature(3.5) is float


@pytest.mark.filterwarnings("ignore:.*nested tensors.*:UserWarning")
def test_a_nested_tensors_fingerprint_marks_its_ragged_dimension():
    nested = torch.nested.nested_tensor([torch.zeros(2, 3), torch.zeros(4, 3)])
    assert _signature(nested) == (2, None, 3)


# --- searching, printing and slicing a trace; text samples ---

def test_find_matches_names_and_types_case_and_spaces_ignored():
    t = deep_trace()
    t.add(make("head", type="GRUCell"))
    assert [(r.name, r.call) for r in t.find("  RNN ")] == [("enc.rnn", 0), ("enc.rnn.cell", 0), ("enc.rnn", 1),
                                                              ("enc.rnn", 2)]
    assert [r.name for r in t.find("grucell")] == ["head"]  # by type only
    assert [r.name for r in t.find("deep")] == [""]  # the model itself, by its label (its type)
    assert t.find("") == [] and t.find("   ") == [] and t.find("nothing") == []
    assert [r.name for r in t.find("X.L")] == ["encx.lin"]


def test_a_trace_and_a_record_print_what_they_hold():
    t = deep_trace()
    assert repr(t) == "Trace(Deep: 10 module calls, 1 ops, 1 pass(es))"
    plain = Trace("", [make(""), make("a")], passes=2)
    assert repr(plain) == "Trace(model: 2 module calls, 2 pass(es))"
    record = Record("enc", MODULE, "LSTM", 2, "enc", 1, "LSTM(4, 8)",
                    outputs=Container("tuple", (spec(2, 8), Container("tuple", (spec(1, 8), spec(1, 8))))))
    assert repr(record) == "Record('enc', call=2, module, LSTM(4, 8), out=(Tensor[2, 8], (Tensor[1, 8], Tensor[1, 8])))"
    first = Record("", OP, "softmax", 0, "", 1, "softmax(dim=-1)", outputs=spec(3))
    assert repr(first) == "Record('softmax', op, softmax(dim=-1), out=Tensor[3])"


def test_the_summary_indents_each_call_by_its_depth_and_counts_parameters_with_commas():
    t = Trace("Big", [Record("", MODULE, "Big", 0, "", 0, "Big()", outputs=spec(2, 3), num_params=1234567),
                      Record("a.b", MODULE, "Linear", 1, "a.b", 2, "Linear(3 -> 3)", outputs=spec(2, 3), num_params=12),
                      Record("a.b.relu()", OP, "relu", 0, "a.b", 3, "relu()", outputs=spec(2, 3))])
    assert t.summary().splitlines() == [
        "call              type    output        params",
        "----------------  ------  ------------  ---------",
        "Big               Big     Tensor[2, 3]  1,234,567",
        "    a.b [1]       Linear  Tensor[2, 3]  12",
        "      a.b.relu()  relu    Tensor[2, 3]"]


def test_a_span_runs_from_its_first_call_to_the_end_of_its_last():
    t = deep_trace()
    assert [(r.name, r.call) for r in t.span("enc.rnn", t["enc", 1])] == [
        ("enc.rnn", 0), ("enc.rnn.cell", 0), ("enc.softmax()", 0), ("enc.rnn", 1), ("enc", 1), ("enc.rnn", 2)]
    assert [(r.name, r.call) for r in t.span(t["encx"], "encx")] == [("encx", 0)]
    assert [(r.name, r.call) for r in t.span("enc", "enc.rnn")] == [("enc", 0), ("enc.rnn", 0), ("enc.rnn.cell", 0)]
    assert [(r.name, r.call) for r in t.span("encx", "encx.lin")] == [("encx", 0), ("enc", 2), ("encx.lin", 0)]
    assert t.span("", "")[-1] is t["encx.lin"] and len(t.span("", "")) == len(t)


def test_text_outputs_are_sampled_as_text_and_clipped():
    class Words(nn.Module):
        def forward(self, texts):
            return [t.split() for t in texts], texts[0] * 300

    model = nn.Sequential(Words())
    with trace(model) as t:
        model(["one two three", "four"])
    assert t["0"].sample == ["one", "two", "three"] and t["0"].words == ["one", "two", "three"]
    clipped = nn.Sequential(nn.Identity())
    with trace(clipped) as t:
        clipped(["x" * 250, "y"])
    assert t["0"].sample == "x" * 199 + "…"  # a batch of texts: its first text
    single = nn.Identity()
    with trace(single) as t:
        single("z" * 200)
    assert t.root.sample == "z" * 200 and t.root.outputs == TensorSpec((200,), "str")
    with trace(single) as t:
        single("z" * 201)
    assert t.root.sample == "z" * 199 + "…"
    many = nn.Identity()
    with trace(many, sample_limit=2) as t:
        many([["a", "b", "c"], ["d"]])
    assert t.root.sample == ["a", "b"] and t.root.outputs == TensorSpec((2, None), "str")


def test_the_children_of_a_call_end_with_it():
    t = deep_trace()
    assert [(r.name, r.call) for r in t.children(t["enc"])] == [("enc.rnn", 0), ("enc.softmax()", 0), ("enc.rnn", 1)]
    assert [(r.name, r.call) for r in t.children(t["enc", 1])] == [("enc.rnn", 2)]
    assert [(r.name, r.call) for r in t.children()] == [("enc", 0), ("enc", 1), ("encx", 0), ("enc", 2),
                                                        ("encx.lin", 0)]
    assert t.children(t["encx.lin"]) == [] and t.children(t["enc.softmax()"]) == []


@pytest.mark.filterwarnings("ignore:.*nested tensors.*:UserWarning")
def test_shapes_of_tensors_and_of_ragged_nested_tensors():
    assert record_module.shape_of(torch.zeros(2, 0, 3)) == (2, 0, 3) and record_module.shape_of(torch.tensor(1)) == ()
    ragged = torch.nested.nested_tensor([torch.zeros(2, 3), torch.zeros(4, 3)])
    even = torch.nested.nested_tensor([torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3)])
    assert record_module.shape_of(ragged) == (2, None, 3) and record_module.shape_of(even) == (3, 2, 3)
    jagged = torch.nested.nested_tensor([torch.zeros(2, 3), torch.zeros(4, 3)], layout=torch.jagged)
    assert record_module.shape_of(jagged) == (2, None, 3)


def test_samples_take_an_equal_share_of_each_dimension():
    assert list(capture.take_sample(torch.zeros(1, 10, 10, 10), 64).shape) == [4, 4, 4]  # 64 ** (1/3) is 4
    assert list(capture.take_sample(torch.zeros(1, 3, 1000), 100).shape) == [3, 33]  # 3 rows leave 33 each
    assert list(capture.take_sample(torch.zeros(1, 2, 2, 2, 1000), 16).shape) == [2, 2, 2, 2]
    assert list(capture.take_sample(torch.zeros(1, 1000), 10).shape) == [10]
    assert list(capture.take_sample(torch.zeros(1, 5, 5), 1).shape) == [1, 1]
    rows = torch.arange(8).reshape(2, 4)
    assert torch.equal(capture.take_sample(rows, 4), torch.arange(4))  # exactly the limit: the whole example
    assert torch.equal(capture.take_sample(rows, 3), torch.arange(3))
    assert capture.take_sample(torch.zeros(0, 3)) is None and capture.take_sample(torch.zeros(3, 0)) is None
    sample = capture.take_sample(rows)
    rows[0, 0] = 99
    assert sample[0] == 0  # a copy


def test_the_first_tensor_of_a_structure_is_found_depth_first_to_a_bounded_depth():
    leaf = spec(5)
    assert record_module.first_spec({"a": None, "b": Container("list", ("int", leaf)), "c": spec(6)}) is leaf
    assert record_module.first_spec(Container("tuple", (Container("tuple", ()), leaf))) is leaf
    assert record_module.first_spec("int") is None and record_module.first_spec(None) is None
    deep = leaf
    for _ in range(MAX_NESTING):
        deep = Container("tuple", (deep,))
    assert record_module.first_spec(deep) is leaf
    assert record_module.first_spec(Container("tuple", (deep,))) is None  # one level too deep


def test_the_main_output_is_the_first_tensor_depth_first():
    class Mixed(nn.Module):
        def forward(self, x):
            return {"n": 3, "parts": [None, x * 2, x]}

    model = Mixed()
    with torch.no_grad(), trace(model) as t:
        model(torch.ones(2, 3))
    assert torch.equal(t.root.sample, torch.full((3,), 2.0)) and t.root.output_shape == [2, 3]
    assert t.root.values() == [2.0, 2.0, 2.0]
    assert format_structure(t.root.outputs) == "{n: int, parts: [None, Tensor[2, 3], Tensor[2, 3]]}"


def test_values_are_the_sample_as_plain_python():
    base = dict(name="a", kind=MODULE, type="T", call=0, module="a", depth=1, operation="T()")
    assert Record(**base, sample=torch.tensor([[1, 2]])).values() == [[1, 2]]
    assert Record(**base, sample=["x", "y"]).values() == ["x", "y"] and Record(**base, sample="x").values() == "x"
    assert Record(**base).values() is None


def test_a_long_failure_message_is_kept_to_three_hundred_characters(monkeypatch):
    def broken(fn, args, kwargs):
        raise ValueError("w " * 400)

    monkeypatch.setattr(capture, "op_signature", broken)
    model = Net()
    with pytest.raises(TraceFault) as fault, torch.no_grad(), trace(model, ops=True):
        model(torch.randn(2, 4))
    assert str(fault.value) == ("pipeline-trace could not record a torch function (mul) in 'blocks.0' (ValueError: "
                                + "w " * 150 + "): a bug in pipeline-trace, not in your model -- please report it")


# --- the tracer's own bookkeeping: caches, depth bounds, hooks, failures ---

def nest(value, levels: int, wrap):
    for _ in range(levels):
        value = wrap(value)
    return value


def printed(value) -> str:
    return format_structure(record_module.describe(value))


def test_structures_are_described_to_thirty_two_levels_and_named_below():
    x = torch.zeros(2)
    assert printed(nest(x, MAX_NESTING, lambda v: (v,))) == \
        "(" * 32 + "Tensor[2]" + ",)" * 32
    assert printed(nest(x, MAX_NESTING + 1, lambda v: (v,))) == \
        "(" * 32 + "tuple" + ",)" * 32
    assert printed(nest(x, MAX_NESTING, lambda v: [v])) == "[" * 32 + "Tensor[2]" + "]" * 32
    assert printed(nest(x, MAX_NESTING + 1, lambda v: [v])) == "[" * 32 + "list" + "]" * 32
    assert printed(nest(x, MAX_NESTING, lambda v: {"k": v})) == \
        "{k: " * 32 + "Tensor[2]" + "}" * 32
    assert printed(nest(x, MAX_NESTING + 1, lambda v: {"k": v})) == \
        "{k: " * 32 + "dict" + "}" * 32
    One = namedtuple("One", "v")
    assert printed(nest(x, MAX_NESTING, One)) == "One(v=" * 32 + "Tensor[2]" + ")" * 32
    assert printed(nest(x, MAX_NESTING + 1, One)) == "One(v=" * 32 + "One" + ")" * 32

    class Row(tuple):
        pass

    assert format_structure(record_module.describe(Row((x, 3)))) == "(Tensor[2], int)"
    assert record_module.describe(Row((x,))) == Container("tuple", (spec(2),))
    assert printed(nest(x, MAX_NESTING + 1, lambda v: Row((v,)))) == \
        "(" * 32 + "Row" + ",)" * 32
    assert format_structure(record_module.describe(nn.Parameter(torch.zeros(3, 1)))) == "Tensor[3, 1]"


def test_specs_and_containers_are_made_once_and_shared(monkeypatch):
    monkeypatch.setattr(record_module, "_SPECS", {})
    monkeypatch.setattr(record_module, "_CONTAINERS", {})
    monkeypatch.setattr(record_module, "_DTYPE_NAMES", {})
    a, b = torch.zeros(2, 3, dtype=torch.int16), torch.ones(2, 3, dtype=torch.int16)
    assert record_module.describe(a) == spec(2, 3, dtype="int16")
    assert record_module.describe(a) is record_module.describe(b)
    assert record_module.describe((a, b)) is record_module.describe((b, a))
    assert record_module.describe([a]) is record_module.describe([b]) and record_module.describe([a]).kind == "list"
    assert len(record_module._SPECS) == 1 and len(record_module._CONTAINERS) == 2
    monkeypatch.setattr(record_module, "MAX_SPECS", 2)
    record_module.describe(torch.zeros(5))
    assert len(record_module._SPECS) == 2
    record_module.describe(torch.zeros(6))  # full: the cache starts again
    assert list(record_module._SPECS.values()) == [spec(6)]
    record_module.describe((a, a, a))
    assert len(record_module._CONTAINERS) == 1


@pytest.mark.filterwarnings("ignore:.*nested tensors.*:UserWarning")
def test_a_nested_tensor_is_described_with_its_dtype_and_ragged_dimension(monkeypatch):
    monkeypatch.setattr(record_module, "_DTYPE_NAMES", {})
    nested = torch.nested.nested_tensor([torch.zeros(2, 3), torch.zeros(4, 3)], dtype=torch.float64)
    assert record_module.describe(nested) == spec(2, None, 3, dtype="float64")
    one = torch.nested.nested_tensor([torch.zeros(2, 3)])
    assert record_module.shape_of(one) == (1, 2, 3)


def test_text_batches_are_known_by_their_first_item():
    assert record_module.is_text_batch(["a"]) and record_module.is_text_batch(["a", 1])
    assert record_module.is_text_batch([["a", "b"]]) and not record_module.is_text_batch([["a", 1]])
    assert not record_module.is_text_batch([]) and not record_module.is_text_batch("ab")
    assert not record_module.is_text_batch([1, "a"])


def test_later_passes_look_thirty_two_levels_deep_for_changed_shapes():
    for wrap in (lambda v: [v], lambda v: {"k": v}, lambda v: (v, 0)):
        class Deep(nn.Module):
            rows = 2

            def forward(self, x, wrap=wrap):
                return nest(torch.zeros(self.rows, 3), MAX_NESTING, wrap)

        model = Deep()
        x = torch.zeros(1)  # the same input every pass: only the deep output changes
        with torch.no_grad(), trace(model) as t:
            model(x)
            model(x)
            model.rows = 5
            model(x)
        assert "Tensor[?, 3]" in format_structure(t.root.outputs)  # (a list of lists was known by its length)
        assert record_module.first_spec(t.root.outputs) == spec(None, 3)


def test_a_list_holding_itself_is_fingerprinted_to_a_bounded_depth():
    class Loop(nn.Module):
        def forward(self, x):
            out = [x]
            out.append(out)
            return out

    model = Loop()
    with torch.no_grad(), trace(model) as t:
        for n in (2, 3, 3, 4):
            model(torch.zeros(n))
    assert t.root.passes == 4 and t.root.output_shape == [None]

    class Table(nn.Module):
        def forward(self, x):
            out = {"x": x}
            out["self"] = out
            return out

    model = Table()
    with torch.no_grad(), trace(model) as t:
        for n in (2, 3, 3, 4):
            model(torch.zeros(n))
    assert t.root.passes == 4 and t.root.output_shape == [None]


def test_tied_weights_are_counted_once_and_an_empty_slot_as_nothing():
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(3, 3), nn.Linear(3, 3)
            self.b.weight = self.a.weight
            self.register_module("unused", None)

        def forward(self, x):
            return self.b(self.a(x))

    model = Tied()
    with torch.no_grad(), trace(model) as t:
        model(torch.zeros(1, 3))
    assert (t.root.num_params, t["a"].num_params, t["b"].num_params) == (15, 12, 12)
    class Holder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(2, 2)
            self.register_module("empty", None)

        def forward(self, x):
            return self.lin(x)

    class Shared(nn.Module):
        """One layer held in two places: the model has its parameters once."""

        def __init__(self) -> None:
            super().__init__()
            self.a = self.b = nn.Linear(3, 3)

        def forward(self, x):
            return self.b(self.a(x))

    shared = Shared()
    with torch.no_grad(), trace(shared) as t:
        shared(torch.zeros(1, 3))
    assert t.root.num_params == 12 == sum(p.numel() for p in shared.parameters()) and t["a", 1].num_params == 12
    holder = Holder()
    with torch.no_grad(), trace(holder) as t:
        holder(torch.zeros(1, 2))
    assert t.root.num_params == 6 and t["lin"].num_params == 6


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_torchscript_module_is_named_by_its_type():
    with pytest.raises(Exception) as refused, trace(torch.jit.script(nn.ReLU())):
        pass
    assert str(refused.value).startswith("the model is a TorchScript module (RecursiveScriptModule): TorchScript")


def test_an_operation_is_the_first_line_of_the_modules_own_description_up_to_200_characters():
    class Lines(nn.Module):
        def extra_repr(self):
            return "first line\nsecond line"

    class Long(nn.Module):
        def extra_repr(self):
            return "y" * 250

    assert capture.operation_of(Lines()) == "Lines(first line)"
    assert capture.operation_of(Long()) == "Long(" + "y" * 200 + ")"
    assert capture.operation_of(nn.Embedding(10, 4)) == "Embedding(10 words -> 4)"


def test_statistics_are_exact_for_small_tensors_and_double_precision():
    model = nn.Identity()
    with trace(model) as t:
        model(torch.tensor([[1.0, 2.0, 3.0, 4.0]]))
    assert t.root.stats.to_dict() == {"min": 1.0, "max": 4.0, "mean": 2.5, "std": pytest.approx(1.25 ** 0.5, rel=1e-6),
                                      "count": 4}
    with trace(model) as t:
        model(torch.tensor([1 + 1e-12, 1 + 1e-12], dtype=torch.float64))
    assert t.root.stats.mean == 1 + 1e-12 and t.root.sample.dtype == torch.float64
    with trace(model) as t:
        model(torch.tensor([1e200, -1e200], dtype=torch.float64))  # squares overflow: no spread to tell
    assert t.root.stats.mean == 0.0 and t.root.stats.std != t.root.stats.std
    with trace(model) as t:
        model(torch.tensor([0.0, 1.0]))
    assert (t.root.stats.mean, t.root.stats.std) == (0.5, 0.5)


def test_samples_honour_the_limit_and_carry_no_gradient():
    model = nn.Linear(4, 6)
    with trace(model, sample_limit=3) as t:
        model(torch.randn(2, 4))
    assert t.root.sample_shape == [3] and not t.root.sample.requires_grad
    assert t.root.stats.count == 12


def test_the_batched_path_keeps_the_sample_limit_at_its_exact_size(monkeypatch):
    monkeypatch.setattr(capture, "_EAGER_DEVICES", frozenset())
    capture._sample_positions.cache_clear()  # worked out afresh, not remembered from another test
    model = nn.Identity()
    x = torch.arange(2 * 5 * 3, dtype=torch.float32).reshape(2, 5, 3)
    with trace(model, sample_limit=15) as t:
        model(x)
    assert torch.equal(t.root.sample, x[0])
    with trace(model) as t:
        model(x[:0])
    assert t.root.sample is None and t.root.stats is None and t.root.output_shape == [0, 5, 3]


def test_an_output_returned_again_unchanged_shares_its_numbers():
    model = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
    with torch.no_grad(), trace(model) as t:
        model(torch.randn(2, 3))
    assert t.root.sample is t["1"].sample and t["0"].sample is not t["1"].sample


def test_an_op_returning_several_tensors_is_recorded():
    class Halves(nn.Module):
        def forward(self, x):
            a, b = x.chunk(2)
            return a + b

    model = Halves()
    with torch.no_grad(), trace(model, ops=True) as t:
        model(torch.ones(4, 3))
    assert [r.name for r in t.ops()] == ["chunk()", "add()"]
    assert format_structure(t["chunk()"].outputs) == "(Tensor[2, 3], Tensor[2, 3])"


def test_the_trace_names_the_model_and_its_device():
    with trace(Net()) as t:
        pass
    assert (t.model_type, t.device, t.passes) == ("Net", "cpu", 0)
    with trace(nn.Tanh()) as t:
        pass
    assert (t.model_type, t.device) == ("Tanh", "")
    empty = Trace()
    assert (empty.model_type, empty.device, empty.ops_traced) == ("", "", False)
    assert repr(empty) == "Trace(model: 0 module calls, 0 pass(es))"


def test_the_operation_of_each_module_is_worked_out_once_per_block(monkeypatch):
    seen = []

    def counted(module):
        seen.append(type(module).__name__)
        return "op"

    monkeypatch.setattr(capture, "operation_of", counted)
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.block, self.head = nn.Linear(8, 8), nn.Linear(8, 2)

        def forward(self, x):
            return self.head(self.block(self.block(x)))

    model = Twice()
    with torch.no_grad(), trace(model) as t:
        model(torch.randn(2, 8))
    assert len(t) == 4 and sorted(seen) == ["Linear", "Linear", "Twice"]  # block's two calls: worked out once


def test_a_failure_when_a_call_starts_or_returns_names_the_call(monkeypatch):
    def broken(module):
        raise RuntimeError("cannot describe")

    monkeypatch.setattr(capture, "operation_of", broken)
    model = Net()
    with pytest.raises(TraceFault) as fault, trace(model):
        model(torch.zeros(1, 4))
    assert str(fault.value).startswith("pipeline-trace could not record the call of 'Net' (RuntimeError: cannot "
                                       "describe): a bug")
    monkeypatch.undo()
    model = Net()
    monkeypatch.setattr(capture, "describe", lambda value, depth=0: 1 / 0)
    with pytest.raises(TraceFault) as fault, trace(model):
        model(torch.zeros(1, 4))
    assert str(fault.value).startswith("pipeline-trace could not record the output of 'blocks.0.lin' "
                                       "(ZeroDivisionError: division by zero): a bug")


def test_a_submodules_call_that_fails_starting_is_named_by_its_path(monkeypatch):
    def broken(module):
        if isinstance(module, nn.Tanh):
            raise RuntimeError("no")
        return "op"

    monkeypatch.setattr(capture, "operation_of", broken)
    model = Net()
    with pytest.raises(TraceFault) as fault, trace(model):
        model(torch.zeros(1, 4))
    assert str(fault.value).startswith("pipeline-trace could not record the call of 'blocks.0.act' (RuntimeError: no)")


def test_a_forward_that_raised_and_was_caught_closes_its_calls():
    model = nn.Sequential(nn.Linear(4, 3))
    with trace(model) as t:
        with pytest.raises(RuntimeError):
            model(torch.zeros(2, 5))
        model(torch.zeros(2, 4))
    assert t.passes == 2 and [(r.name, r.call) for r in t] == [("", 0), ("0", 0)]
    assert t["0"].output_shape == [2, 3]


FOREIGN = nn.ReLU()


def test_a_module_from_outside_the_model_is_passed_over():
    class UsesForeign(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, x):
            return self.lin(FOREIGN(x))

    model = UsesForeign()
    with torch.no_grad(), trace(model) as t:
        model(torch.zeros(2, 3))
    assert t.passes == 1 and [r.name for r in t] == ["", "lin"] and t.root.output_shape == [2, 3]
    assert t.parent(t["lin"]) is t.root


def test_odd_cases_of_inside_parents_and_children():
    root = make("", type="Net")
    assert not _inside(root, root) and not _inside(make("XXXX", 1), make("XXXX"))
    t = Trace("Net", [root, make("enc"), make("other.sub"), make("enc.rnn"), make("head")])
    assert [r.name for r in t.children(t["enc"])] == ["enc.rnn"]  # other.sub ran inside enc, not as its child
    assert op_name(named("__Xadd__")) == "Xadd" and op_name(named("__truedivX__")) == "truedivX"


def test_the_model_called_inside_itself_has_no_parent():
    class Halves(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            if x.shape[0] > 1:
                return torch.cat([self(x[:1]), self(x[1:])])
            return self.lin(x)

    model = Halves()
    with torch.no_grad(), trace(model) as t:
        model(torch.zeros(2, 2))
    assert [(r.name, r.call) for r in t] == [("", 0), ("", 1), ("lin", 0), ("", 2), ("lin", 1)]
    assert t.parent(t["", 1]) is None and t.parent(t["lin", 1]) is t["", 2] and t.passes == 1


def test_a_later_pass_widens_inputs_and_outputs_each_by_its_own_shapes():
    class Cut(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.keep = 2

        def forward(self, x):
            return x[: self.keep]

    model = Cut()
    with torch.no_grad(), trace(model) as t:
        model(torch.zeros(4, 3))
        model(torch.zeros(4, 3))
        model(torch.zeros(6, 3))  # another input, the same output
    assert t.root.input_shape == [None, 3] and t.root.output_shape == [2, 3]
    with torch.no_grad(), trace(model) as t:
        model(torch.zeros(4, 3))
        model(torch.zeros(4, 3))
        model.keep = 1
        model(torch.zeros(4, 3))  # the same input, another output
    assert t.root.input_shape == [4, 3] and t.root.output_shape == [None, 3]


def test_a_call_first_seen_in_a_later_pass_is_sampled_on_the_batched_path(monkeypatch):
    monkeypatch.setattr(capture, "_EAGER_DEVICES", frozenset())

    class Steps(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cell = nn.Linear(2, 2)

        def forward(self, x, steps):
            for _ in range(steps):
                x = self.cell(x)
            return x

    torch.manual_seed(0)
    model = Steps()
    x = torch.randn(3, 2)
    with torch.no_grad(), trace(model) as t:
        model(x, 2)
        model(x, 3)  # a third step: its record is made, sampled and reduced in the second pass
    third = model.cell(model.cell(model.cell(x))).detach()
    assert [r.call for r in t.calls("cell")] == [0, 1, 2]
    assert torch.allclose(t["cell", 2].sample, third[0]) and t["cell", 2].stats.count == 6


def test_a_later_pass_widens_texts_in_a_tuple_and_tensors_in_lists_of_lists():
    class Pieces(nn.Module):
        rows = 2

        def forward(self, x):
            return [[torch.zeros(self.rows, 3)], [x]], ("ab" * self.rows, "c")

    model = Pieces()
    x = torch.zeros(1)
    with torch.no_grad(), trace(model) as t:
        model(x)
        model(x)
        model.rows = 4
        model(x)
    assert format_structure(t.root.outputs) == "([[Tensor[?, 3]], [Tensor[1]]], (Text[?], Text[1]))"
