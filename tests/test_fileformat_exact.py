"""The trace file's rules in their exact words and bytes: what a zip holds and how, what comes back of every kind of
record (structures, inline, stored and text samples), the first error a file is refused for and its one line, each
bound at the bound and one past it (made small here). These tests are what bench/mutation.py fileformat runs against
every mutant, with tests/test_fileformat.py."""

from __future__ import annotations

import io
import json
import math
import struct
import zipfile

import pytest
import torch
from hostile_files import as_json, as_zip, document, record, safetensors, stage

from pipeline.document import filechecks, fileformat
from pipeline.document.document import Stage, TraceDocument
from pipeline.document.fileformat import (
    DocumentModel,
    TraceFileError,
    export_json,
    from_model,
    json_text,
    loads,
    open_path,
    opened_bytes,
    zip_bytes,
)
from pipeline.document.views import TextView
from pipeline.trace import Container, Record, RecordKind, Stats, TensorSpec, Trace
from pipeline.training.results import EpochResult


def refused(read, *args) -> str:
    with pytest.raises(TraceFileError) as caught:
        read(*args)
    message = str(caught.value)
    assert "\n" not in message
    return message


def a_record(name: str = "", call: int = 0, **extra) -> Record:
    return Record(name=name, kind=RecordKind.MODULE, type="Handmade", call=call, module=name, depth=1 if name else 0,
                  operation="Handmade()", **extra)


def handmade(*records: Record, stages: tuple[Stage, ...] = ()) -> TraceDocument:
    trace = Trace("Handmade", ops=True, device="meta", passes=3)
    for r in records:
        trace.add(r)
    return TraceDocument(trace=trace, stages=list(stages), source={"tool": "tests"})


def members(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        return {n: z.read(n) for n in z.namelist()}


def a_zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buffer.getvalue()


def with_flag(raw: bytes, flag: int) -> bytes:
    """The zip with ``flag`` set in every entry's general purpose bits of its central directory."""
    data = bytearray(raw)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        (bits,) = struct.unpack_from("<H", data, at + 8)
        struct.pack_into("<H", data, at + 8, bits | flag)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


# --- structures, samples and the model's own fields come back as they were ---

PAIR = Container(kind="namedtuple", items=(TensorSpec((2, None), "float32"), "int", None), name="Pair",
                 fields=("left", "right", "none"))
NESTED = {"pair": PAIR, "seq": Container(kind="list", items=(TensorSpec((1,), "int64"), None)),
          "tup": Container(kind="tuple", items=(Container(kind="list", items=()), "str")), "nothing": None}


def test_every_kind_of_structure_comes_back_in_both_forms():
    doc = handmade(a_record(inputs=PAIR, outputs=NESTED, stats=None), a_record("value", inputs="float"))
    for back in (loads(zip_bytes(doc), "t.zip"), loads(json_text(doc).encode(), "t.json")):
        root, value = back.trace[0], back.trace[1]
        assert root.inputs == PAIR and root.outputs == NESTED and root.stats is None
        assert isinstance(root.inputs, Container) and root.inputs.kind == "namedtuple"
        assert (value.inputs, value.outputs) == ("float", None)


def test_the_models_type_device_passes_and_ops_come_back():
    doc = handmade(a_record())
    for back in (loads(zip_bytes(doc), "t.zip"), loads(json_text(doc).encode(), "t.json")):
        t = back.trace
        assert (t.model_type, t.device, t.passes, t.ops_traced) == ("Handmade", "meta", 3, True)
    assert json.loads(json_text(doc))["model"] == {"type": "Handmade", "device": "meta", "passes": 3, "ops": True}


def test_text_samples_and_records_without_a_sample_come_back_as_they_were():
    doc = handmade(a_record(sample="one text"), a_record("texts", sample=["a", "b"]), a_record("none"))
    for back in (loads(zip_bytes(doc), "t.zip"), loads(json_text(doc).encode(), "t.json")):
        assert [r.sample for r in back.trace] == ["one text", ["a", "b"], None]
    records = json.loads(json_text(doc))["records"]
    assert [r["sample"] for r in records] == [{"form": "text", "text": "one text"},
                                              {"form": "text", "text": ["a", "b"]}, None]


SAMPLES = (torch.tensor([[1.5, math.nan], [math.inf, -math.inf]]), torch.tensor([1, -2, 3], dtype=torch.int64),
           torch.tensor([0.25, 2.0], dtype=torch.float64), torch.tensor([True, False]))


def test_the_zip_stores_each_sample_in_safetensors_and_the_json_writes_it_inline_exactly():
    doc = handmade(*(a_record(f"s{i}" if i else "", sample=s) for i, s in enumerate(SAMPLES)))
    files = members(zip_bytes(doc))
    stored = json.loads(files["trace.json"])["records"]
    assert [r["sample"] for r in stored] == [
        {"form": "tensor", "key": "r0", "dtype": "float32", "shape": [2, 2]},
        {"form": "tensor", "key": "r1", "dtype": "int64", "shape": [3]},
        {"form": "tensor", "key": "r2", "dtype": "float64", "shape": [2]},
        {"form": "tensor", "key": "r3", "dtype": "bool", "shape": [2]}]
    (length,) = struct.unpack("<Q", files["samples.safetensors"][:8])
    header = json.loads(files["samples.safetensors"][8:8 + length])
    assert header.pop("__metadata__") == {"schema": "pipeline-trace/2"} and sorted(header) == ["r0", "r1", "r2", "r3"]
    inline = json.loads(json_text(doc))["records"]
    assert inline[0]["sample"] == {"form": "inline", "dtype": "float32", "shape": [2, 2],
                                   "values": [[1.5, "NaN"], ["Infinity", "-Infinity"]]}
    assert [r["sample"]["values"] for r in inline[1:]] == [[1, -2, 3], [0.25, 2.0], [True, False]]
    for back in (loads(zip_bytes(doc), "t.zip"), loads(json_text(doc).encode(), "t.json")):
        for r, s in zip(back.trace, SAMPLES, strict=True):
            assert r.sample.dtype == s.dtype and torch.equal(r.sample.nan_to_num(7.0), s.nan_to_num(7.0))


def test_an_inline_sample_takes_its_declared_dtype_and_reads_null_as_nan():
    sample = {"form": "inline", "dtype": "float32", "shape": [3], "values": [1, None, 3]}
    back = loads(as_json(document(records=[record(sample=sample)])), "t.json").trace.root.sample
    assert back.dtype == torch.float32 and back[0] == 1.0 and math.isnan(back[1]) and back[2] == 3.0


def test_one_tensor_shown_by_two_calls_is_stored_once():
    shared = torch.arange(4.0)
    files = members(zip_bytes(handmade(a_record(sample=shared), a_record("last", sample=shared))))
    assert [r["sample"]["key"] for r in json.loads(files["trace.json"])["records"]] == ["r0", "r0"]


def test_a_stage_whose_record_is_not_in_the_trace_is_saved_without_one():
    elsewhere = a_record("elsewhere")
    doc = handmade(a_record(), stages=(Stage(key="k", title="T", description="d", operation="o", input_shape=[1],
                                             output_shape=[1], record=elsewhere),))
    assert json.loads(json_text(doc))["stages"][0]["record"] is None
    assert loads(zip_bytes(doc), "t.zip").stages[0].record is None


def test_an_epochs_kept_views_and_words_in_space_come_back():
    view = TextView(key="k", title="T", description="d", text="seen")
    epoch = EpochResult(epoch=1, loss=0.5, accuracy=0.5, val_loss=0.5, val_accuracy=0.5,
                        inside={"a probe": {"k": view}}, space=((0.5, 1.5), (2.0, -1.0)))
    doc = handmade(a_record())
    doc.epochs = [epoch]
    for back in (loads(zip_bytes(doc), "t.zip"), loads(json_text(doc).encode(), "t.json")):
        (e,) = back.epochs
        assert e.inside == {"a probe": {"k": view}} and e.space == ((0.5, 1.5), (2.0, -1.0))


# --- the zip's members, their order, compression and text ---

def test_the_zip_holds_trace_json_then_the_samples_both_deflated_and_the_json_indented_by_one():
    doc = handmade(a_record(sample=torch.zeros(3)))
    raw = zip_bytes(doc)
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        assert [(i.filename, i.compress_type) for i in z.infolist()] == [
            ("trace.json", zipfile.ZIP_DEFLATED), ("samples.safetensors", zipfile.ZIP_DEFLATED)]
        text = z.read("trace.json").decode()
    assert text.startswith('{\n "schema": "pipeline-trace/2",\n "source": {\n  "tool": "tests"\n },\n "model"')
    assert json_text(doc).startswith('{\n "schema": "pipeline-trace/2",\n "source": {\n  "tool": "tests"\n }')


def test_export_json_writes_the_json_form(tmp_path):
    doc = handmade(a_record(sample=torch.ones(2)))
    export_json(doc, tmp_path / "t.json")
    assert (tmp_path / "t.json").read_text() == json_text(doc)


def test_opened_bytes_counts_the_json_four_times_and_the_samples_once():
    assert opened_bytes(b'{"a": 1}') == 32
    both = a_zip({"trace.json": b"x" * 100, "samples.safetensors": b"y" * 1000})
    assert opened_bytes(both) == 1400
    assert opened_bytes(a_zip({"trace.json": b"x" * 100})) == 400
    assert opened_bytes(a_zip({"samples.safetensors": b"y" * 1000})) == 1000
    assert opened_bytes(a_zip({"other": b"z" * 10})) == 0


# --- saving: each bound at the bound and one past it ---

def test_a_sample_at_the_files_bound_is_saved_and_one_past_it_is_refused(monkeypatch):
    monkeypatch.setattr(fileformat, "MAX_SAMPLE_VALUES", 4)
    assert loads(zip_bytes(handmade(a_record(sample=torch.zeros(4)))), "t.zip").trace.root.sample.shape == (4,)
    assert refused(zip_bytes, handmade(a_record("wide", sample=torch.zeros(5)))) == (
        "this trace cannot be saved as a trace file: the sample of 'wide' has 5 values; a file keeps at most 4 per "
        "call (trace with a smaller sample_limit)")


def sizes(doc: TraceDocument) -> tuple[int, int]:
    files = members(zip_bytes(doc))
    return len(files["trace.json"]), len(files["samples.safetensors"])


def test_each_member_at_its_bound_is_saved_and_one_byte_past_it_is_refused(monkeypatch):
    doc = handmade(a_record(sample=torch.zeros(8)))
    text, samples = sizes(doc)
    monkeypatch.setattr(fileformat, "MAX_TRACE_JSON_BYTES", text)
    monkeypatch.setattr(fileformat, "MAX_SAMPLES_BYTES", samples)
    zip_bytes(doc)
    monkeypatch.setattr(fileformat, "MAX_SAMPLES_BYTES", samples - 1)
    assert refused(zip_bytes, doc) == (
        "this trace cannot be saved as a trace file: its samples.safetensors would be 0 MB; the limit is 0 MB (trace "
        "fewer calls, or with a smaller sample_limit)")
    monkeypatch.setattr(fileformat, "MAX_TRACE_JSON_BYTES", text - 1)
    assert refused(zip_bytes, doc).startswith("this trace cannot be saved as a trace file: its trace.json would be")


def test_a_members_size_and_limit_are_said_in_rounded_megabytes(monkeypatch):
    doc = handmade(a_record())
    text, _ = sizes(doc)
    doc.source = {f"pad{i}": "a" * 175_000 for i in range(20)}
    text, _ = sizes(doc)
    doc.source["pad0"] = "a" * (175_000 + 3_500_000 - text)
    assert sizes(doc)[0] == 3_500_000
    monkeypatch.setattr(fileformat, "MAX_TRACE_JSON_BYTES", 1_500_000)
    assert refused(zip_bytes, doc) == (
        "this trace cannot be saved as a trace file: its trace.json would be 4 MB; the limit is 2 MB (trace fewer "
        "calls, or with a smaller sample_limit)")


# --- opening: which file it is, at the bounds, in exact words ---

def test_a_file_that_is_neither_form_is_refused_naming_it_or_the_file():
    expected = "is not a trace file: expected a pipeline-trace zip (from --save) or JSON (from --json)"
    assert refused(loads, b"nope") == f"the file {expected}"
    assert refused(loads, b"X{}", "t") == f"t {expected}"


def test_json_may_begin_with_a_byte_order_mark_and_white_space():
    raw = as_json(document())
    for lead in (b"\xef\xbb\xbf", b" \t\r\n", b"\xef\xbb\xbf\n  "):
        assert loads(lead + raw, "t.json").trace.model_type == "M"


def test_a_file_at_the_size_limit_is_read_and_one_byte_more_is_refused_in_rounded_megabytes(monkeypatch):
    monkeypatch.setattr(fileformat, "MAX_FILE_BYTES", 1_500_000)
    assert refused(loads, b"x" * 1_500_000, "t").startswith("t is not a trace file")
    assert refused(loads, b"x" * 1_550_000, "t") == "t is 1.6 MB; the limit for a trace file is 2 MB"


def test_open_path_names_the_file_by_its_path(tmp_path):
    path = tmp_path / "t.bin"
    path.write_bytes(b"nope")
    assert refused(open_path, path) == (f"{path} is not a trace file: expected a pipeline-trace zip (from --save) or "
                                        "JSON (from --json)")


def test_the_first_schema_error_is_named_by_its_place_and_the_rest_counted():
    one = document(records=[record(call=-1)])
    assert refused(loads, as_json(one), "t") == (
        "t does not match the pipeline-trace/2 schema: records[0].call: Input should be greater than or equal to 0")
    two = document(records=[record(call=-1, depth=-1)])
    assert refused(loads, as_json(two), "t") == (
        "t does not match the pipeline-trace/2 schema: records[0].call: Input should be greater than or equal to 0 "
        "(and 1 more)")
    three = document(Xtra=1, records=[record(call=-1, depth=-1)])
    assert refused(loads, as_json(three), "t").startswith(
        "t does not match the pipeline-trace/2 schema: records[0].call: Input should be greater than or equal to 0 "
        "(and 2 more)")
    extra = document(Xtra=1)
    assert refused(loads, as_json(extra), "t") == (
        "t does not match the pipeline-trace/2 schema: Xtra: Extra inputs are not permitted")


def test_an_error_of_the_whole_document_is_placed_at_the_top_level():
    with pytest.raises(fileformat.ValidationError) as caught:
        DocumentModel.model_validate([])
    assert fileformat._first_error(caught.value) == (
        "top level: Input should be a valid dictionary or instance of DocumentModel")


def test_files_of_another_kind_are_refused_by_their_head():
    assert refused(loads, b'{"schema": "pipeline-trace/1"}', "t") == (
        "t is a pipeline-trace/1 file, from an older version: re-run the command that made it to upgrade it to "
        "pipeline-trace/2")
    long = "s" * 39 + "0123456789"
    assert refused(loads, json.dumps({"schema": long}).encode(), "t") == (
        f"t is not a pipeline-trace/2 file (schema {long[:40]!r})")
    assert refused(loads, b'{"schema": ', "t") == "t is not valid JSON (EOF while parsing a value at line 1 column 11)"


def test_a_json_file_that_names_samples_is_refused():
    doc = document(samples={"sha256": "0" * 64})
    assert refused(loads, as_json(doc), "t.json") == (
        "t.json names samples.safetensors, which only the zip form carries")


# --- what the schema cannot say (_check), in the file's words ---

def nested(depth: int) -> dict:
    node: dict = {"node": "tensor", "shape": [1], "dtype": "float32"}
    for _ in range(depth):
        node = {"node": "list", "items": [node]}
    return node


def test_inputs_and_outputs_nested_too_deep_are_refused_naming_the_record():
    deep = nested(filechecks.MAX_NESTING + 1)
    assert refused(loads, as_json(document(records=[record(inputs=deep)])), "t") == (
        "t: records[0] ('M'): its inputs is nested more than 40 levels deep")
    assert refused(loads, as_json(document(records=[record(), record("sub", outputs=deep)])), "t") == (
        "t: records[1] ('sub'): its outputs is nested more than 40 levels deep")
    long = "n" * 100
    assert refused(loads, as_json(document(records=[record(), record(long, inputs=deep)])), "t") == (
        f"t: records[1] ({long[:80]!r}): its inputs is nested more than 40 levels deep")
    loads(as_json(document(records=[record(inputs=nested(filechecks.MAX_NESTING))])), "t")


def test_a_sample_declaring_too_many_values_is_refused_before_it_is_read():
    sample = {"form": "inline", "dtype": "float32", "shape": [filechecks.MAX_SAMPLE_VALUES + 1], "values": []}
    assert refused(loads, as_json(document(records=[record(sample=sample)])), "t") == (
        "t: records[0] ('M'): its sample declares 1,048,577 values; a sample holds at most 1,048,576")


def test_call_numbers_out_of_order_are_refused_with_the_file_name():
    assert refused(loads, as_json(document(records=[record(), record("a", call=1)])), "t") == (
        "t: records[1] is call 1 of 'a', but call 0 of it comes first")


def test_the_epochs_words_in_space_are_counted_together(monkeypatch):
    monkeypatch.setattr(filechecks, "MAX_SPACE_POINTS", 3)
    epoch = {"epoch": 1, "loss": 0.5, "accuracy": 0.5, "val_loss": 0.5, "val_accuracy": 0.5, "space": [[0, 0], [1, 1]]}
    assert refused(loads, as_json(document(epochs=[epoch, epoch])), "t") == (
        "t: the epochs' words in space hold more than 3 points (4)")


# --- inline samples ---

def inline(shape: list[int], values, dtype: str = "float32", name: str = "") -> bytes:
    sample = {"form": "inline", "dtype": dtype, "shape": shape, "values": values}
    return as_json(document(records=[record(), record(name, sample=sample)] if name else [record(sample=sample)]))


def test_an_inline_sample_is_refused_in_exact_words(monkeypatch):
    assert refused(loads, inline([2, 2], [[1, 2], [3]]), "t") == (
        "records[0] ('M'): the sample has 3 values but its shape [2, 2] needs 4")
    assert refused(loads, inline([2], [1, 1000], "int8", "sub"), "t") == (
        "records[1] ('sub'): the sample's values do not fit dtype int8")
    assert refused(loads, inline([2], [1, "boom"]), "t") == "records[0] ('M'): sample values must be numbers, found str"
    assert refused(loads, inline([1], [{"a": 1}]), "t") == (
        "records[0] ('M'): sample values must be numbers, found dict")


def test_an_inline_sample_at_the_bound_is_read_and_past_it_refused(monkeypatch):
    monkeypatch.setattr(fileformat, "MAX_SAMPLE_VALUES", 4)
    assert loads(inline([4], [1, 2, 3, 4]), "t").trace.root.sample.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert refused(loads, inline([5], [1, 2, 3, 4, 5]), "t") == (
        "records[0] ('M'): the sample has 5 values; the limit is 4")
    assert refused(loads, inline([4], [1, 2, 3, 4, 5]), "t") == (
        "records[0] ('M'): the sample has more than 4 values")
    assert refused(loads, inline([2, 2], [[1, 2], [3, 4, 5, 6]], name="sub"), "t") == (
        "records[1] ('sub'): the sample has more than 4 values")


# --- the zip: its directory and members ---

def test_a_zip_of_more_than_sixteen_entries_is_refused_before_its_directory_is_read():
    sixteen = a_zip({f"f{i}": b"x" for i in range(16)})
    assert refused(loads, sixteen, "t").startswith("t is a zip, but not a trace file: it should hold exactly")
    seventeen = a_zip({f"f{i}": b"x" for i in range(17)})
    assert refused(loads, seventeen, "t") == (
        "t is a zip, but not a trace file: it holds 17 entries, where a trace file holds exactly trace.json and "
        "samples.safetensors")


def test_a_zip_of_other_members_is_refused_listing_them():
    long = "m" * 70
    assert refused(loads, a_zip({"b.txt": b"x", long: b"y", "a.txt": b"z"}), "t") == (
        "t is a zip, but not a trace file: it should hold exactly trace.json and samples.safetensors, not 'a.txt', "
        f"'b.txt', {long[:60]!r}")
    one = a_zip({"x": b"y"})
    local = one[:one.find(b"PK\x01\x02")]  # a zip that begins with an entry, whose directory lists none
    empty = local + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0, 0, 0, len(local), 0)
    assert refused(loads, empty, "t") == (
        "t is a zip, but not a trace file: it should hold exactly trace.json and samples.safetensors, not nothing")


def good_zip(samples: int = 2) -> bytes:
    sample = {"form": "tensor", "key": "r0", "dtype": "float32", "shape": [samples]}
    stored = safetensors({"r0": ("F32", [samples], bytes(4 * samples))})
    return as_zip(document(records=[record(sample=sample)]), stored)


def test_an_encrypted_member_is_refused_and_other_flags_are_not():
    assert refused(loads, with_flag(good_zip(), 0x1), "t") == "t: trace.json is encrypted; a trace file never is"
    assert loads(with_flag(good_zip(), 0x2), "t").trace.root.sample.tolist() == [0.0, 0.0]


def test_a_member_compressed_otherwise_is_refused():
    files = members(good_zip())
    assert refused(loads, a_zip(files, zipfile.ZIP_BZIP2), "t") == (
        "t: trace.json is compressed with method 12; a trace file is stored or deflated")
    assert loads(a_zip(files, zipfile.ZIP_STORED), "t").trace.root.sample.tolist() == [0.0, 0.0]


def test_each_member_is_held_to_its_own_unpacked_size(monkeypatch):
    raw = good_zip(2000)
    text, samples = (len(v) for v in members(raw).values())
    assert text < 1000 < samples
    monkeypatch.setattr(fileformat, "MAX_TRACE_JSON_BYTES", text)
    monkeypatch.setattr(fileformat, "MAX_SAMPLES_BYTES", samples)
    assert loads(raw, "t").trace.root.sample.shape == (2000,)
    monkeypatch.setattr(fileformat, "MAX_SAMPLES_BYTES", samples - 1)
    assert refused(loads, raw, "t") == "t: samples.safetensors unpacks to 0 MB; the limit is 0 MB"
    monkeypatch.setattr(fileformat, "MAX_TRACE_JSON_BYTES", 1_500_000)
    bomb = a_zip({"trace.json": b"{" + b" " * 3_499_998 + b"}", "samples.safetensors": b""})
    assert refused(loads, bomb, "t") == "t: trace.json unpacks to 4 MB; the limit is 2 MB"


def test_a_member_altered_inside_the_zip_is_refused_as_damaged():
    files = members(good_zip())
    raw = bytearray(a_zip(files, zipfile.ZIP_STORED))
    at = raw.find(b'"records"')
    raw[at + 2] ^= 0x01
    assert refused(loads, bytes(raw), "t") == (
        "t is a damaged zip (cut short or altered?): Bad CRC-32 for file 'trace.json'")


# --- the samples of a zip ---

def test_the_samples_are_refused_without_or_against_their_sha256():
    files = members(good_zip())
    trace = json.loads(files["trace.json"])
    del trace["samples"]
    assert refused(loads, a_zip({"trace.json": json.dumps(trace).encode(),
                                 "samples.safetensors": files["samples.safetensors"]}), "t") == (
        "t: trace.json does not record the sha256 of samples.safetensors")
    altered = a_zip({"trace.json": files["trace.json"], "samples.safetensors": files["samples.safetensors"] + b" "})
    assert refused(loads, altered, "t") == (
        "t: samples.safetensors does not match its sha256 in trace.json (altered or damaged)")


def test_samples_that_safetensors_cannot_read_are_refused():
    sample = {"form": "tensor", "key": "r0", "dtype": "float32", "shape": [2]}
    short = safetensors({"r0": ("F32", [2], bytes(4))})
    assert refused(loads, as_zip(document(records=[record(sample=sample)]), short), "t").startswith(
        "t: samples.safetensors cannot be read: ")


def test_a_sample_stored_once_must_have_the_dtype_and_shape_each_record_says():
    first = {"form": "tensor", "key": "r0", "dtype": "float32", "shape": [2]}
    last = {"form": "tensor", "key": "r0", "dtype": "float32", "shape": [3]}
    raw = as_zip(document(records=[record(sample=first), record("sub", sample=last)]),
                 safetensors({"r0": ("F32", [3], bytes(12))}))
    assert refused(loads, raw, "t") == "records[0] ('M'): its sample does not have the dtype and shape trace.json says"


def test_a_sample_missing_from_the_tensors_given_is_refused():
    sample = {"form": "tensor", "key": "r0", "dtype": "float32", "shape": [2]}
    model = DocumentModel.model_validate(document(records=[record(), record("sub", sample=sample)]))
    assert refused(from_model, model, {}) == "records[1] ('sub'): its sample 'r0' is missing from samples.safetensors"


def test_a_call_recorded_twice_is_refused_named_by_its_place():
    model = DocumentModel.model_validate(document(records=[record(), record()]))
    assert refused(from_model, model) == "records[1]: the trace already has call 0 of 'M'"


def test_a_stage_naming_a_call_the_file_does_not_record_is_refused():
    raw = as_json(document(stages=[stage(0), stage(1, record=["m", 2])]))
    assert refused(loads, raw, "t") == "stages[1] ('s1') refers to call 2 of 'm', which the file does not record"


def test_statistics_come_back_exactly():
    stats = Stats(min=-1.0, max=2.5, mean=0.25, std=1.0, count=7)
    back = loads(zip_bytes(handmade(a_record(stats=stats))), "t.zip")
    assert back.trace.root.stats == stats
